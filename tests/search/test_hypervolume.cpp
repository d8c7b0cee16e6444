// Hypervolume (search/hypervolume.h) against hand-computed 2-D and 3-D cases and, on random
// fronts, against inclusion-exclusion over the points' boxes (an independent exact formula).
#include <catch2/catch.hpp>
#include <random>

#include "search/front_hypervolume.h"
#include "search/hypervolume.h"
#include "search/trial_config.h"

using namespace hybridnet::search;
using Approx = Catch::Detail::Approx;

namespace {

const Objective kMin{"energy", false}, kMinMemory{"memory", false}, kMax{"accuracy", true};

// Inclusion-exclusion over every subset of minimisation points: the union of boxes [p, ref].
double inclusion_exclusion(const std::vector<std::vector<double>>& points,
                           const std::vector<double>& ref) {
  const size_t n = points.size(), d = ref.size();
  double total = 0;
  for (unsigned mask = 1; mask < (1u << n); ++mask) {
    double volume = 1;
    int members = 0;
    for (size_t j = 0; j < d; ++j) {
      double corner = -1e300;
      for (size_t i = 0; i < n; ++i)
        if (mask & (1u << i)) corner = std::max(corner, points[i][j]);
      volume *= std::max(0.0, ref[j] - corner);
    }
    for (size_t i = 0; i < n; ++i) members += (mask >> i) & 1;
    total += (members % 2 ? 1 : -1) * volume;
  }
  return total;
}

}  // namespace

TEST_CASE("hypervolume: hand-computed 2-D fronts", "[search][hypervolume]") {
  // A staircase of three points under (4, 4): slabs of width 1 and heights 1, 2, 3.
  CHECK(hypervolume({{1, 3}, {2, 2}, {3, 1}}, {4, 4}, {kMin, kMinMemory}) == Approx(6));
  // Accuracy up, energy down: boxes 0.8 x 1 and 0.7 x 2 overlapping in 0.7 x 1.
  CHECK(hypervolume({{0.9, 2}, {0.8, 1}}, {0.1, 3}, {kMax, kMin}) == Approx(1.5));
  // Dominated, repeated and out-of-reference points add nothing.
  CHECK(hypervolume({{0.9, 2}, {0.8, 1}, {0.7, 2.5}, {0.9, 2}, {0.05, 0.5}, {0.95, 3.5}}, {0.1, 3},
                    {kMax, kMin}) == Approx(1.5));
  CHECK(hypervolume({}, {0.1, 3}, {kMax, kMin}) == 0);
  // A point exactly on the reference adds nothing either.
  CHECK(hypervolume({{0.1, 1}}, {0.1, 3}, {kMax, kMin}) == 0);
}

TEST_CASE("hypervolume: hand-computed 3-D fronts", "[search][hypervolume]") {
  const std::vector<Objective> three = {kMin, kMinMemory, Objective{"flops", false}};
  // One box: 1 x 1 x 0.5.
  CHECK(hypervolume({{0, 0, 0.5}}, {1, 1, 1}, three) == Approx(0.5));
  // Two boxes of 0.25 sharing a cube of 0.125.
  CHECK(hypervolume({{0, 0.5, 0.5}, {0.5, 0, 0.5}}, {1, 1, 1}, three) == Approx(0.375));
  // Three: 0.75 - 3 x 0.125 + 0.125.
  CHECK(hypervolume({{0, 0.5, 0.5}, {0.5, 0, 0.5}, {0.5, 0.5, 0}}, {1, 1, 1}, three) ==
        Approx(0.5));
  // The study's objectives: accuracy max, energy and memory min.
  CHECK(hypervolume({{0.6, 1, 1}}, {0.1, 2, 3}, {kMax, kMin, kMinMemory}) == Approx(0.5 * 1 * 2));
}

TEST_CASE("hypervolume: random 3-D fronts equal inclusion-exclusion", "[search][hypervolume]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  const std::vector<Objective> three = {kMin, kMinMemory, Objective{"flops", false}};
  for (int round = 0; round < 50; ++round) {
    const int n = 1 + round % 9;
    std::vector<std::vector<double>> points(n, std::vector<double>(3));
    for (auto& p : points)
      for (auto& x : p) x = u(rng);
    INFO("round " << round << ", " << n << " points");
    CHECK(hypervolume(points, {1, 1, 1}, three) ==
          Approx(inclusion_exclusion(points, {1, 1, 1})).margin(1e-12));
  }
}

TEST_CASE("hypervolume: a candidate's contribution to a front", "[search][hypervolume]") {
  const std::vector<std::vector<double>> front = {{0.9, 2}, {0.8, 1}};
  // (0.85, 1.5) fills the corner between them: 0.05 x 0.5.
  CHECK(hypervolume_contribution(front, {0.85, 1.5}, {0.1, 3}, {kMax, kMin}) == Approx(0.025));
  CHECK(hypervolume_contribution(front, {0.7, 2.5}, {0.1, 3}, {kMax, kMin}) == 0);  // dominated
  CHECK(hypervolume_contribution({}, {0.6, 1}, {0.1, 3}, {kMax, kMin}) == Approx(1.0));
}

TEST_CASE("hypervolume of a study's front: chance accuracy and 1.1x the FP network's costs",
          "[search][hypervolume]") {
  auto trial = [](double acc, double energy, double ee_fp, double memory, double mc_fp) {
    hybridnet::db::TrialRecord t;
    t.config = nlohmann::json(TrialConfig{});  // Fashion-MNIST: 10 classes
    t.objectives = {{"accuracy", acc},
                    {"energy_pj", energy},
                    {"ee_fp", ee_fp},
                    {"memory_bits", memory},
                    {"mc_fp", mc_fp}};
    return t;
  };
  // Both networks' FP one costs 1000 pJ and 1000 bits: the reference is (0.1, 1100, 1100).
  const std::vector<hybridnet::db::TrialRecord> front = {trial(0.9, 100, 10, 50, 20),
                                                         trial(0.8, 50, 20, 40, 25)};
  const auto hv = front_hypervolume(front, default_objectives());
  REQUIRE(hv);
  CHECK(hv->reference == std::vector<double>{0.1, 1100, 1100});
  // Boxes 0.8 x 1000 x 1050 and 0.7 x 1050 x 1060, overlapping in 0.7 x 1000 x 1050.
  CHECK(hv->value == Approx(840000 + 779100 - 735000));
  CHECK(hv->normalized == Approx(884100.0 / (0.9 * 1100 * 1100)));
  CHECK_FALSE(front_hypervolume({}, default_objectives()));
  CHECK_FALSE(front_hypervolume(front, {Objective{"accuracy", false}}));  // against its sense
}
