// Pareto fronts on hand-made points: two and three objectives, mixed directions, ties and
// duplicates, the ranks of the non-dominated sort, and the design points of networks with
// early exits (one per exit threshold).
#include <catch2/catch.hpp>

#include "models/error.h"
#include "search/latency.h"
#include "search/pareto.h"
#include "search/results.h"

#include <cmath>

using namespace hybridnet;
using namespace hybridnet::search;

TEST_CASE("pareto: two objectives, accuracy max and energy min", "[search]") {
  const std::vector<Objective> objs = {{"accuracy", true}, {"energy", false}};
  // (accuracy, energy): 0 and 2 are extremes, 1 is in between, 3 is dominated by 1, 4 by 2.
  const std::vector<std::vector<double>> pts = {
      {0.90, 10.0}, {0.85, 5.0}, {0.70, 1.0}, {0.80, 6.0}, {0.60, 1.0}};
  REQUIRE(pareto_front(pts, objs) == std::vector<size_t>{0, 1, 2});
  REQUIRE(pareto_ranks(pts, objs) == std::vector<int>{0, 0, 0, 1, 1});
}

TEST_CASE("pareto: three objectives keep points that win on any one", "[search]") {
  const std::vector<Objective> objs = {{"accuracy", true}, {"energy", false}, {"memory", false}};
  const std::vector<std::vector<double>> pts = {
      {0.90, 10, 10},  // best accuracy
      {0.80, 2, 10},   // cheap energy
      {0.80, 10, 2},   // cheap memory
      {0.80, 10, 10},  // dominated by every one of the above
      {0.79, 2, 2},    // slightly worse accuracy, cheapest: on the front
  };
  REQUIRE(pareto_front(pts, objs) == std::vector<size_t>{0, 1, 2, 4});
  REQUIRE(pareto_ranks(pts, objs)[3] == 1);
}

TEST_CASE("pareto: duplicates and ties share the front", "[search]") {
  const std::vector<Objective> objs = {{"accuracy", true}, {"energy", false}};
  const std::vector<std::vector<double>> pts = {
      {0.8, 5}, {0.8, 5}, {0.8, 6}, {0.7, 5}, {0.9, 9}};
  // 0 and 1 are equal: neither dominates. 2 ties 0 on accuracy but costs more; 3 ties 0 on
  // energy but is less accurate: both dominated.
  REQUIRE(pareto_front(pts, objs) == std::vector<size_t>{0, 1, 4});
  REQUIRE_FALSE(dominates(pts[0], pts[1], objs));
  REQUIRE(dominates(pts[0], pts[2], objs));
  REQUIRE(dominates(pts[0], pts[3], objs));
}

TEST_CASE("pareto: a single objective keeps only the best (and its ties)", "[search]") {
  const std::vector<Objective> objs = {{"energy", false}};
  REQUIRE(pareto_front({{3}, {1}, {2}, {1}}, objs) == std::vector<size_t>{1, 3});
  REQUIRE(pareto_ranks({{3}, {1}, {2}, {1}}, objs) == std::vector<int>{2, 0, 1, 0});
  REQUIRE(pareto_front({}, objs).empty());
}

TEST_CASE("objectives parse with natural or explicit directions", "[search]") {
  auto o = parse_objectives("accuracy,energy,memory:max,ee_fp", "--objectives");
  REQUIRE(o.size() == 4);
  REQUIRE(o[0].maximize);
  REQUIRE_FALSE(o[1].maximize);
  REQUIRE(o[2].maximize);
  REQUIRE(o[3].maximize);
  REQUIRE(to_string(o) == "accuracy:max,energy:min,memory:max,ee_fp:max");
  REQUIRE_THROWS_WITH(parse_objectives("speed:min", "--objectives"),
                      Catch::Contains("--objectives: unknown objective 'speed'"));
  REQUIRE_THROWS_WITH(parse_objectives("accuracy:max,energy,accuracy:min", "--objectives"),
                      "--objectives: objective 'accuracy' given twice (one direction each)");
  REQUIRE_THROWS_WITH(parse_objectives("energy,energy_pj", "--objectives"),
                      Catch::Contains("'energy' given twice"));
  REQUIRE_THROWS_WITH(parse_objectives("energy:up", "--objectives"),
                      Catch::Contains("direction must be max or min"));
  // One name per objective; the store's column name reads as it.
  const auto e = parse_objective("energy_pj", "x");
  REQUIRE(e.name == "energy");
  REQUIRE_FALSE(e.maximize);
  REQUIRE(e.column() == "energy_pj");
  REQUIRE(e.unit() == "pJ");
  REQUIRE(parse_objective("memory_bits:max", "x").name == "memory");
  REQUIRE(parse_objective("memory", "x").column() == "memory_bits");
  REQUIRE(parse_objective("ee_fp", "x").column() == "ee_fp");
  for (const auto& k : objective_kinds()) REQUIRE(find_objective_kind(k.column) == &k);
}

namespace {
db::TrialRecord done_trial(int64_t id, const std::string& family, double accuracy, double energy) {
  db::TrialRecord t;
  t.id = id;
  t.family = family;
  t.plan = {{"arch", "resnet8"}};
  t.state = db::TrialState::kDone;
  t.objectives = {{"accuracy", accuracy}, {"energy_pj", energy}, {"memory_bits", 1000},
                  {"top5", 0.99},         {"flops", 5e6},        {"ee_fp", 2.0}};
  return t;
}
}  // namespace

TEST_CASE("design points: a network with early exits is one front point per threshold",
          "[search][exit]") {
  auto xnor = done_trial(1, "xnor", 0.80, 10);
  // The edge-cloud network: its final classifier (all samples to the cloud) costs 20 pJ.
  auto ec = done_trial(2, "edge-cloud", 0.85, 20);
  ec.points = {{{0.0}, 0.85, 20, 12, 8, {0.0}, {0, 0.85}},
               {{0.1}, 0.85, 20, 12, 8, {0.0}, {0, 0.85}},  // no sample exits yet: as t=0
               {{0.5}, 0.84, 8, 7, 1, {0.8}, {0.86, 0.75}},
               {{2.0}, 0.70, 9, 9, 0, {1.0}, {0.70, 0}}};  // worse and dearer than t=0.5
  auto pending = ec;
  pending.id = 3;
  pending.state = db::TrialState::kPending;
  const auto points = design_points({xnor, ec, pending});
  REQUIRE(points.size() == 1 + 3 + 1);  // t=0.1 is t=0's operating point
  REQUIRE(points[1].point == 0);
  REQUIRE(points[2].point == 2);
  REQUIRE(points[2].objective("energy_pj") == Approx(8));
  REQUIRE(points[2].objective("accuracy") == Approx(0.84));
  REQUIRE(points[2].objective("ee_fp") == Approx(2.0 * 20 / 8));  // FP energy / the point's
  REQUIRE(points[2].objective("memory_bits") == Approx(1000));    // the network's
  REQUIRE(std::isnan(points[2].objective("top5")));  // not measured per point
  REQUIRE(point_label(points[2]) == "t=0.5");
  REQUIRE(point_label(points[0]) == "");
  REQUIRE(points[4].point == -1);  // unfinished: the trial itself

  const std::vector<Objective> objs = {{"accuracy", true}, {"energy", false}};
  const auto front = pareto_trials({xnor, ec, pending}, objs);
  // XNOR (0.80, 10) is dominated by t=0.5 (0.84, 8); t=2 by t=0.5; t=0 is the most accurate.
  REQUIRE(front.size() == 2);
  REQUIRE(front[0].id == 2);
  REQUIRE(point_label(front[0]) == "t=0");
  REQUIRE(point_label(front[1]) == "t=0.5");
  const auto summary = trial_summary(front[1]);
  REQUIRE(summary.at("thresholds") == nlohmann::json{0.5});
  REQUIRE(summary.at("point").at("exit_share") == nlohmann::json{0.8});
  REQUIRE(summary.at("energy_pj") == 8);
  REQUIRE(trial_summary(ec).at("points") == 4);  // stored points, duplicates included
  REQUIRE(trial_summary(xnor).at("thresholds").is_null());
  // top5 is unknown for points: over accuracy and top5 only the trials without points compete.
  const auto by_top5 = pareto_trials({xnor, ec}, {{"accuracy", true}, {"top5", true}});
  REQUIRE(by_top5.size() == 1);
  REQUIRE(by_top5[0].id == 1);
  const std::string csv = trials_csv(front);
  REQUIRE_THAT(csv, Catch::Contains(",failure,thresholds,rung,epochs_done,val_accuracy,"
                                    "test_accuracy\n") &&
                        Catch::Contains(",\"[0.5]\",0,0,,\n"));
}

TEST_CASE("Spearman's rho against hand-computed ranks", "[search][latency]") {
  // Same order: 1; reversed: -1.
  CHECK(search::spearman_rho({1, 2, 3, 4}, {10, 20, 30, 40}) == Approx(1.0));
  CHECK(search::spearman_rho({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0));
  // Ranks x 1 2 3 4 5, y 2 1 4 3 5: d^2 = 1 + 1 + 1 + 1 + 0 = 4, rho = 1 - 6 * 4 / (5 * 24) = 0.8.
  CHECK(search::spearman_rho({0.1, 0.2, 0.3, 0.4, 0.5}, {2, 1, 4, 3, 5}) == Approx(0.8));
  // A tie takes the mean rank: x ranks 1 2.5 2.5 4, y ranks 1 2 3 4; Pearson of the ranks:
  // sum dx dy = 2.25 + 0 + 0 + 2.25 = 4.5, sum dx^2 = 4.5, sum dy^2 = 5: 4.5 / sqrt(22.5).
  CHECK(search::spearman_rho({1, 2, 2, 3}, {1, 2, 3, 4}) == Approx(4.5 / std::sqrt(22.5)));
  CHECK(std::isnan(search::spearman_rho({1}, {2})));
  CHECK(std::isnan(search::spearman_rho({1, 1, 1}, {1, 2, 3})));  // a constant series
}
