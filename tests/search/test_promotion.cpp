// Promotion at a rung (search/promotion.h) on hand-made rungs: the order under the hypervolume
// rule and under MO-ASHA's crowding distance, worked out by hand, and ASHA's top-1/eta rule.
#include <catch2/catch.hpp>

#include "search/promotion.h"

using namespace hybridnet::search;

namespace {

const std::vector<Objective> kAccEnergy = {{"accuracy", true}, {"energy", false}};
const std::vector<double> kReference = {0.1, 10};
// A, B, C are the front; D is dominated by B, E by A.
const std::vector<std::vector<double>> kRung = {{0.9, 8}, {0.8, 4}, {0.7, 2}, {0.6, 5}, {0.85, 9}};

}  // namespace

TEST_CASE("promotion: rank, then what each candidate alone adds to its rank's hypervolume",
          "[search][promotion]") {
  // Front A, B, C covers 5.6; without A 5.4, without B 5.2, without C 4.4: C adds most (1.2),
  // then B (0.4), then A (0.2). Rank 1: D adds 2.0 to {D, E}, E 0.25.
  CHECK(promotion_order(kRung, kAccEnergy, kReference, PromotionRule::kHypervolume) ==
        std::vector<size_t>{2, 1, 0, 3, 4});
}

TEST_CASE("promotion: MO-ASHA's crowding distance keeps the extremes first",
          "[search][promotion]") {
  // A and C are the front's extremes (infinite distance; A first by accuracy), B between them
  // (1 + 1); in rank 1 both are extremes: E (0.85) before D (0.6).
  CHECK(promotion_order(kRung, kAccEnergy, kReference, PromotionRule::kCrowding) ==
        std::vector<size_t>{0, 2, 1, 4, 3});
}

TEST_CASE("promotion: ASHA promotes the best floor(n / eta) seen so far, each once",
          "[search][promotion]") {
  std::vector<RungEntry> rung;
  for (const auto& v : kRung) rung.push_back({v, false});
  // Two of five seen: floor(2 / 3) = 0, nobody goes on yet.
  CHECK(promotable({rung[0], rung[1]}, 3, kAccEnergy, kReference, PromotionRule::kHypervolume)
            .empty());
  CHECK(promotable(rung, 3, kAccEnergy, kReference, PromotionRule::kHypervolume) ==
        std::vector<size_t>{2});
  rung[2].promoted = true;
  CHECK(promotable(rung, 3, kAccEnergy, kReference, PromotionRule::kHypervolume).empty());
  // A sixth arrives, dominated by everyone: floor(6 / 3) = 2, so B joins C.
  rung.push_back({{0.3, 9.5}, false});
  CHECK(promotable(rung, 3, kAccEnergy, kReference, PromotionRule::kHypervolume) ==
        std::vector<size_t>{1});
  CHECK(promotable(rung, 2, kAccEnergy, kReference, PromotionRule::kCrowding) ==
        std::vector<size_t>{0, 1});  // top 3 by crowding: A, C (promoted), B
  CHECK_THROWS(promotable(rung, 1, kAccEnergy, kReference, PromotionRule::kCrowding));
}
