// Integration: a tiny XNOR ResNet-8 trained on a real Fashion-MNIST subset is profiled, and the
// selected plans build and train.
#include <catch2/catch.hpp>
#include <filesystem>

#include "analysis/selectors.h"
#include "models/activation_capture.h"
#include "models/presets.h"
#include "models/trainer.h"
#include "tests/support.h"

using namespace hybridnet;

TEST_CASE("profile a trained XNOR ResNet-8 and train the selected hybrids",
          "[analysis][integration]") {
  const auto dir = test::fresh_temp_dir("profile_run");
  models::DataOptions data;
  data.subset = 512;
  data.test_subset = 128;
  const auto splits = models::load_data(data);
  models::TrainConfig train;
  train.batch_size = 64;
  train.optimizer = hybridnet::models::Optimizer::kAdam;
  train.lr = 0.005;
  train.threads = 1;
  const auto spec =
      models::make_run_spec(models::make_preset("xnor", "resnet8"), data, splits, train);
  models::train_run(spec, splits, (dir / "xnor").string());

  analysis::ProfileOptions po;
  po.capture.samples = 128;
  po.capture.batch_size = 50;  // uneven last batch on purpose
  po.capture.threads = 1;
  const auto p =
      analysis::profile_run((dir / "xnor").string(), data, po, models::capture_activations);
  REQUIRE(p.layers.size() == 7);  // stem + 6 body convs
  CHECK(p.samples == 128);
  CHECK(p.gamma > 0);
  for (const auto& l : p.layers) {
    INFO(l.name);
    CHECK(l.k >= 1);
    CHECK(l.k <= l.out_channels);
    CHECK(l.explained_variance.size() == size_t(l.out_channels));
    CHECK(l.explained_variance.back() == Catch::Detail::Approx(1.0));
    CHECK(l.eligible == (l.position > 1));
    if (l.eligible) CHECK(l.error > 0);
  }
  po.capture.plain = true;
  const auto plain =
      analysis::profile_run((dir / "xnor").string(), data, po, models::capture_activations);
  CHECK(plain.plain);
  CHECK(plain.layers.front().k == p.layers.front().k);  // the stem sees no shortcut either way

  // Plans from every selector build and train.
  std::vector<analysis::Selection> selections = {analysis::select_pca(p, 0, 2),
                                                 analysis::select_partition(p, 0.5),
                                                 analysis::select_combined(p, 0.5, 4)};
  for (const auto& s : selections) {
    INFO(s.selector << ": " << s.message);
    REQUIRE(s.found);
    models::RunSpec hs = spec;
    hs.plan = models::HybridPlan::from_json(s.plan.to_json(), "selected");
    hs.train.max_steps = 3;
    const auto r = models::train_run(hs, splits, (dir / s.selector).string());
    CHECK(std::isfinite(r.history.back().train_loss));
  }
  std::filesystem::remove_all(dir);
}
