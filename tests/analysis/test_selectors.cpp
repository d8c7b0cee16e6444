// Selectors on a hand-made profile of XNOR ResNet-8 (stem + 6 body convs) with hand-derived
// layer sets.
#include <catch2/catch.hpp>

#include "analysis/selectors.h"
#include "models/presets.h"
#include "tests/analysis/hand_profile.h"

using namespace hybridnet::analysis;
using hybridnet::models::Precision;

using hybridnet::test::hand_profile;

TEST_CASE("PCA selector upgrades the layers with k_i - k_i-1 > Delta to k_b bits",
          "[analysis][selectors]") {
  const Profile p = hand_profile();
  // delta_k = [-, 2, 0, 6, 1, 7, 2]
  auto s = select_pca(p, 1, 2);
  CHECK(s.upgraded == std::vector<std::string>{"layer1.0.conv1", "layer2.0.conv1", "layer3.0.conv1",
                                               "layer3.0.conv2"});
  CHECK(s.plan.precision("layer2.0.conv1") == Precision::kbit(2));
  CHECK(s.plan.precision("layer1.0.conv2") == Precision::binary());
  CHECK(s.plan.precision("conv1").is_fp());
  CHECK_THAT(s.reasons.at("layer2.0.conv1"), Catch::Contains("= 6 > Delta 1"));
  CHECK_THAT(s.reasons.at("layer2.0.conv2"), Catch::Contains("<= Delta 1"));
  CHECK(select_pca(p, 2, 4).upgraded ==
        std::vector<std::string>{"layer2.0.conv1", "layer3.0.conv1"});
  CHECK(select_pca(p, 7, 2).upgraded.empty());
  CHECK_THROWS(select_pca(p, 1, 9));
}

TEST_CASE("partition selector makes the highest-metric cluster WeightBin",
          "[analysis][selectors]") {
  const Profile p = hand_profile();
  // P = 6, sorted metrics 0.10 0.11 0.12 0.50 0.90 0.95. N = 2: the split {.., 0.50 | 0.90, 0.95}
  // has inertia 0.1144 + 0.00125 = 0.1156, below {0.10..0.12 | 0.50..0.95} (0.0002 + 0.1214), so
  // the highest cluster is {0.90, 0.95}: 2/6 <= 0.5.
  auto s = select_partition(p, 0.5);
  REQUIRE(s.found);
  CHECK(s.upgraded == std::vector<std::string>{"layer2.0.conv1", "layer3.0.conv1"});
  CHECK(s.plan.precision("layer3.0.conv1") == (Precision{1, 32, 0.0}));
  CHECK(s.plan.precision("layer2.0.conv2") == Precision::binary());
  // R = 0.2: N = 2, 3 keep {0.90, 0.95} on top (2/6); N = 4 splits it (the largest inertia
  // reduction, 0.00125), leaving {0.95}: 1/6 <= 0.2.
  CHECK(select_partition(p, 0.2).upgraded == std::vector<std::string>{"layer3.0.conv1"});
  // R below 1/P: nothing qualifies, and the selector says so.
  auto none = select_partition(p, 0.1);
  CHECK_FALSE(none.found);
  CHECK_THAT(none.message, Catch::Contains("R = 0.1"));
  CHECK(none.upgraded.empty());
  CHECK(none.plan == p.plan);
}

TEST_CASE("combined selector is deterministic and upgrades only eligible layers",
          "[analysis][selectors]") {
  const Profile p = hand_profile();
  auto a = select_combined(p, 0.5, 2, 3), b = select_combined(p, 0.5, 2, 3);
  REQUIRE(a.found);
  CHECK(a.upgraded == b.upgraded);
  CHECK(a.plan.hash() == b.plan.hash());
  CHECK_FALSE(a.upgraded.empty());
  CHECK(a.upgraded.size() <= 3);
  for (const auto& name : a.upgraded) CHECK(a.plan.precision(name) == Precision::kbit(2));
  CHECK(a.plan.precision("conv1").is_fp());
  // Layers 2.0.conv1 and 3.0.conv1 lead both features (largest dk and metric).
  auto tight = select_combined(p, 0.34, 32, 3);
  CHECK(tight.upgraded == std::vector<std::string>{"layer2.0.conv1", "layer3.0.conv1"});
  CHECK(tight.plan.precision("layer3.0.conv1") == (Precision{1, 32, 0.0}));
  CHECK_THROWS_WITH(select_combined(p, 0.5, 1), Catch::Contains("--combined-kb 1"));
}
