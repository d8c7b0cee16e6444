// Training networks with early exits (edge-cloud paper II.B): the joint loss's weights and
// separate optimisation, which must leave the trained backbone untouched. Runs use synthetic
// data (named so) for speed.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "models/error.h"
#include "models/presets.h"
#include "models/trainer.h"
#include "tests/support.h"

using namespace hybridnet::models;
namespace fs = std::filesystem;

TEST_CASE("exit loss weights: 0.6 on the early exits by default, the rest to the final one",
          "[models][exit][train]") {
  ExitTraining t;
  CHECK(exit_loss_weights(t, 1) == std::vector<double>{0.6, 0.4});
  const auto two = exit_loss_weights(t, 2);
  REQUIRE(two.size() == 3);
  CHECK(two[0] == Approx(0.3));
  CHECK(two[1] == Approx(0.3));
  CHECK(two[2] == Approx(0.4));
  CHECK(exit_loss_weights(t, 0) == std::vector<double>{1.0});
  t.lambdas = {0.2, 0.5};
  CHECK(exit_loss_weights(t, 2)[2] == Approx(0.3));
  CHECK_THROWS_WITH(exit_loss_weights(t, 1), "exit lambdas: 2 given for 1 early exit(s)");
  t.lambdas = {0.7, 0.5};
  CHECK_THROWS_WITH(exit_loss_weights(t, 2), Catch::Contains("sum to 1.2"));
  t.lambdas = {};
  CHECK_THROWS_WITH(nlohmann::json("both").get<ExitMode>(),
                    Catch::Contains("exit training must be one of joint, separate, not 'both'"));
}

TEST_CASE("joint loss is the lambda-weighted sum of each exit's cross-entropy",
          "[models][exit][train]") {
  // Two classes, one sample of label 0. Early exit logits (0, 0): CE = ln 2. Final logits
  // (ln 3, 0): p0 = 3/4, CE = ln 4/3.
  const auto labels = torch::tensor({0}, torch::kInt64);
  const std::vector<torch::Tensor> outputs = {
      torch::tensor({{0.f, 0.f}}), torch::tensor({{static_cast<float>(std::log(3.0)), 0.f}})};
  const double ce_exit = std::log(2.0), ce_final = std::log(4.0 / 3.0);
  CHECK(exit_loss(outputs, labels, {0.6, 0.4}).item<double>() ==
        Approx(0.6 * ce_exit + 0.4 * ce_final).epsilon(1e-6));
  CHECK(exit_loss(outputs, labels, {0.0, 1.0}).item<double>() == Approx(ce_final).epsilon(1e-6));
  CHECK(exit_loss(outputs, labels, {1.0, 0.0}).item<double>() == Approx(ce_exit).epsilon(1e-6));
  CHECK_THROWS_AS(exit_loss(outputs, labels, {1.0}), hybridnet::ConfigError);
}

namespace {

// Parameters and buffers (batch-norm statistics) by name.
std::map<std::string, torch::Tensor> state_of(const HybridNet& net) {
  std::map<std::string, torch::Tensor> s;
  for (const auto& p : net->named_parameters()) s[p.key()] = p.value().detach().clone();
  for (const auto& b : net->named_buffers()) s[b.key()] = b.value().detach().clone();
  return s;
}

struct SyntheticRun {
  DataOptions options;
  DataSplits data;
  TrainConfig train;
};

// Generated 12x12 images and one epoch of single-threaded training.
SyntheticRun synthetic_run(int64_t train_images, int64_t test_images, const std::string& optimizer,
                           double lr) {
  SyntheticRun r;
  r.options.name = "synthetic";
  r.options.synthetic_train = train_images;
  r.options.synthetic_test = test_images;
  r.options.synthetic_size = 12;
  r.data = load_data(r.options);
  r.train.epochs = 1;
  r.train.batch_size = 32;
  r.train.optimizer = enum_from_string<Optimizer>(optimizer, "optimizer");
  r.train.lr = lr;
  r.train.threads = 1;
  return r;
}

}  // namespace

TEST_CASE("synthetic: separate optimisation trains the exits and leaves the backbone unchanged",
          "[models][exit][train]") {
  const fs::path dir = hybridnet::test::fresh_temp_dir("exit_separate");
  const auto [o, data, t] = synthetic_run(96, 32, "adam", 0.01);
  RunSpec spec = make_run_spec(make_preset("edge-cloud:M=2,bits=2", "resnet8"), o, data, t);
  spec.exit_training.mode = ExitMode::kSeparate;
  spec.exit_training.exit_epochs = 2;
  // Keep the checkpoint of the backbone's last epoch before the exits train.
  TrainCallbacks cb;
  cb.epoch = [&](const EpochRecord& e) {
    if (e.epoch == 1) fs::copy_file(dir / "run" / "model.pt", dir / "backbone.pt");
  };
  const TrainResult r = train_run(spec, data, (dir / "run").string(), cb);
  CHECK(r.history.size() == 3);  // 1 backbone epoch + 2 exit epochs

  HybridNet after = load_run((dir / "run").string()).net;
  HybridNet before = load_run((dir / "run").string()).net;
  torch::load(before, (dir / "backbone.pt").string());
  const auto a = state_of(after), b = state_of(before);
  int backbone = 0, exits_changed = 0;
  for (const auto& [name, value] : a) {
    if (name.rfind("exit1", 0) == 0) {
      exits_changed += !torch::equal(value, b.at(name));
      continue;
    }
    ++backbone;
    INFO(name);
    CHECK(torch::equal(value, b.at(name)));
  }
  CHECK(backbone > 20);
  CHECK(exits_changed > 0);
  // The final classifier's accuracy is the backbone's: unchanged by the exits' epochs.
  CHECK(r.history[2].test_accuracy == r.history[0].test_accuracy);
  fs::remove_all(dir);
}

TEST_CASE("synthetic: joint training moves the backbone with the exit's loss",
          "[models][exit][train]") {
  const fs::path dir = hybridnet::test::fresh_temp_dir("exit_joint");
  const auto [o, data, t] = synthetic_run(64, 16, "sgd", 0.05);
  const HybridPlan plan = make_preset("edge-cloud:M=2", "resnet8");
  auto final_only = make_run_spec(plan, o, data, t);
  final_only.exit_training.lambdas = {0.0};
  auto joint = make_run_spec(plan, o, data, t);  // lambda 0.6 on the exit
  train_run(final_only, data, (dir / "a").string());
  train_run(joint, data, (dir / "b").string());
  const auto a = state_of(load_run((dir / "a").string()).net);
  const auto b = state_of(load_run((dir / "b").string()).net);
  // The stem sits before the exit: its gradient includes the exit's loss only in the joint run.
  CHECK_FALSE(torch::equal(a.at("conv1.weight"), b.at("conv1.weight")));
  fs::remove_all(dir);
}
