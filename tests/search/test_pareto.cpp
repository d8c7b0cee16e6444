// Pareto fronts on hand-made points: two and three objectives, mixed directions, ties and
// duplicates, and the ranks of the non-dominated sort.
#include <catch2/catch.hpp>

#include "models/error.h"
#include "search/pareto.h"

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
  REQUIRE_THROWS_WITH(parse_objectives("latency:min", "--objectives"),
                      Catch::Contains("--objectives: unknown objective 'latency'"));
  REQUIRE_THROWS_WITH(parse_objectives("energy:up", "--objectives"),
                      Catch::Contains("direction must be max or min"));
}
