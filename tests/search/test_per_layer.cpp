// The per-layer family's evolution (search/per_layer_evolution.h) on a hand-made profile of
// XNOR ResNet-8 (stem + 6 body convs), and the family as a space uses it.
#include <catch2/catch.hpp>
#include <map>
#include <numeric>
#include <set>

#include "models/error.h"
#include "search/candidates.h"
#include "search/family_registry.h"
#include "search/per_layer_evolution.h"
#include "search/space.h"
#include "tests/analysis/hand_profile.h"

using namespace hybridnet;
using namespace hybridnet::search;
using nlohmann::json;
using Approx = Catch::Detail::Approx;

namespace {

using test::hand_profile;

const std::vector<Objective> kObjectives = {{"accuracy", true}, {"energy", false}};

}  // namespace

TEST_CASE("per-layer: significance is the mean of the scaled delta k and metric, by hand",
          "[search][per-layer]") {
  // delta k [2, 0, 6, 1, 7, 2] -> /7: [2/7, 0, 6/7, 1/7, 1, 2/7]; metric [.10 .12 .90 .50 .95
  // .11] -> (m - .10) / .85: [0, .02/.85, .8/.85, .4/.85, 1, .01/.85].
  const auto s = layer_significance(hand_profile());
  const std::vector<double> expected = {0.5 * (2 / 7.0),
                                        0.5 * (0.02 / 0.85),
                                        0.5 * (6 / 7.0 + 0.8 / 0.85),
                                        0.5 * (1 / 7.0 + 0.4 / 0.85),
                                        1.0,
                                        0.5 * (2 / 7.0 + 0.01 / 0.85)};
  REQUIRE(s.size() == expected.size());
  for (size_t i = 0; i < s.size(); ++i) CHECK(s[i] == Approx(expected[i]));
}

TEST_CASE("per-layer: a genome sets the eligible layers' precisions, nothing else",
          "[search][per-layer]") {
  const auto p = hand_profile();
  const auto plan = genome_plan(p, {1, 2, 4, 32, 1, 8});
  CHECK(plan.precision("conv1").is_fp());  // the stem is not eligible
  CHECK(plan.precision("layer1.0.conv1") == models::Precision::binary());
  CHECK(plan.precision("layer1.0.conv2") == models::Precision::kbit(2));
  CHECK(plan.precision("layer2.0.conv1") == models::Precision::kbit(4));
  CHECK(plan.precision("layer2.0.conv2").is_fp());
  CHECK(plan.precision("layer3.0.conv2") == models::Precision::kbit(8));
  CHECK_THROWS_WITH(genome_plan(p, {1, 2}),
                    Catch::Contains("genome has 2 layers") && Catch::Contains("6 eligible layers"));
  CHECK_THROWS_WITH(genome_plan(p, {1, 2, 4, 9, 1, 1}), Catch::Contains("9 bits"));
}

TEST_CASE("per-layer: generation 0 is distinct, upgraded, and follows the profile",
          "[search][per-layer]") {
  const auto p = hand_profile();
  EvolutionSettings s;
  s.bits = {2, 4};
  s.population = 60;  // well below the 728 possible: distinctness barely bends the draw
  const auto pop = initial_population(p, s, 7);
  REQUIRE(pop.size() == 60);
  std::set<Genome> distinct(pop.begin(), pop.end());
  CHECK(distinct.size() == pop.size());
  std::vector<int> upgrades(6, 0);
  for (const auto& g : pop) {
    REQUIRE(g.size() == 6);
    bool any = false;
    for (size_t i = 0; i < g.size(); ++i) {
      CHECK((g[i] == 1 || g[i] == 2 || g[i] == 4));
      any = any || g[i] != 1;
      upgrades[i] += g[i] != 1;
    }
    CHECK(any);  // never the all-binary baseline
  }
  // The most significant layer (layer3.0.conv1, p = min(1, 1.5 d), 2/3 over the densities) is
  // upgraded far more often than the least (layer1.0.conv2, p = 0.512 d, about 0.26).
  INFO("upgrades per layer: " << json(upgrades).dump());
  CHECK(upgrades[4] > 2 * upgrades[1]);
  // The generation spans the cost axis: the first third (densities up to 1/3) upgrades few
  // layers, the last third (from 2/3) most. (Distinctness lifts the first third above its
  // density: there are only 12 assignments with one upgraded layer.)
  int first = 0, last = 0;
  for (int i = 0; i < 20; ++i)
    for (size_t l = 0; l < 6; ++l) {
      first += pop[i][l] != 1;
      last += pop[40 + i][l] != 1;
    }
  INFO("upgraded genes: first third " << first << ", last third " << last << " of 120 each");
  CHECK(2 * first < last);
  CHECK(last > 80);
  // The costly anchor closes the generation: every layer at the highest precision allowed.
  CHECK(pop.back() == Genome(6, 4));
  CHECK(initial_population(p, s, 7) == pop);  // deterministic for a seed
  CHECK(initial_population(p, s, 8) != pop);
  s.population = 1000;  // more than the 3^6 - 1 = 728 upgraded assignments: all of them, once
  CHECK(initial_population(p, s, 7).size() <= 728);
}

TEST_CASE("per-layer: a generation is bred from the evaluated ones, new and deterministic",
          "[search][per-layer]") {
  const auto p = hand_profile();
  EvolutionSettings s;
  s.population = 8;
  const auto parents = initial_population(p, s, 3);
  std::vector<Scored> evaluated;
  for (size_t i = 0; i < parents.size(); ++i)
    evaluated.push_back({parents[i], {0.5 + 0.01 * i, 1000.0 - 10 * i}});
  const auto children = next_generation(evaluated, kObjectives, p, s, 3, 1);
  REQUIRE(children.size() == 8);
  std::set<Genome> before(parents.begin(), parents.end());
  for (const auto& c : children) {
    CHECK_FALSE(before.count(c));
    CHECK(std::any_of(c.begin(), c.end(), [](int b) { return b != 1; }));
  }
  CHECK(next_generation(evaluated, kObjectives, p, s, 3, 1) == children);
  CHECK(next_generation(evaluated, kObjectives, p, s, 3, 2) != children);
  // Selection pressure: the children's genes agree more with the later half of the parents
  // when each individual dominates the ones before it than when each is dominated by them.
  // (Compared between the two orders because generation 0 is stratified: its early, sparse
  // genomes agree with anything mostly binary by chance.)
  const auto later_agreement = [&](const std::vector<Genome>& kids) {
    int n = 0;
    for (const auto& c : kids)
      for (size_t k = parents.size() / 2; k < parents.size(); ++k)
        for (size_t i = 0; i < c.size(); ++i) n += c[i] == parents[k][i];
    return n;
  };
  std::vector<Scored> reversed = evaluated;
  for (size_t i = 0; i < reversed.size(); ++i) reversed[i].values = evaluated[reversed.size() - 1 - i].values;
  const int better = later_agreement(children);
  const int worse = later_agreement(next_generation(reversed, kObjectives, p, s, 3, 1));
  INFO("genes shared with the later half: " << better << " when it is better, " << worse
                                            << " when it is worse");
  CHECK(better > worse + 10);
}

TEST_CASE("per-layer: the family breeds concrete settings whose plans are their genomes",
          "[search][per-layer]") {
  const Family& f = family_named("per-layer");
  CHECK(f.needs_profile());
  const json setting = {{"bits", {2, 4}}, {"population", 5}, {"generations", 3}};
  CHECK(f.generations(setting) == 3);
  const auto p = hand_profile();
  const auto gen0 = f.breed(setting, p, 1, 0, {}, {});
  REQUIRE(gen0.size() == 5);
  for (const auto& c : gen0) {
    CHECK(c.at("generation") == 0);
    const auto sel = f.select(c, p, 1);
    CHECK(sel.plan.to_json() == genome_plan(p, c.at("genome").get<Genome>()).to_json());
  }
  std::vector<std::pair<json, std::vector<double>>> scored;
  for (size_t i = 0; i < gen0.size(); ++i) scored.push_back({gen0[i], {0.6 + 0.01 * i, 100.0}});
  const auto gen1 = f.breed(setting, p, 1, 1, scored, kObjectives);
  CHECK_FALSE(gen1.empty());
  for (const auto& c : gen1) CHECK(c.at("generation") == 1);
  CHECK_THROWS_WITH(f.check({{"bits", {9}}, {"population", 5}, {"generations", 2}}),
                    Catch::Contains("bits = 9 must be 2..8 or 32"));
  CHECK_THROWS_WITH(f.check({{"bits", {2}}, {"population", 1}, {"generations", 2}}),
                    Catch::Contains("population"));
  CHECK_THROWS_WITH(f.select(setting, p, 1), Catch::Contains("without a genome"));
}
