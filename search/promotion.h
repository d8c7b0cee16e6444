// Which candidates a multi-fidelity search promotes from a rung (issue 18): the order in which
// the candidates that reached a rung deserve more epochs, and ASHA's rule that the best 1/eta
// of those seen so far go on. Energy and memory are exact before training (the cost model);
// only the accuracy is a partial-budget estimate. Pure functions, no store: the scheduler
// keeps the rungs.
#pragma once

#include <cstdint>
#include <vector>

#include "search/pareto.h"

namespace hybridnet::search {

enum class PromotionRule {
  /// Non-dominated rank, then within a rank the hypervolume a candidate alone adds to its rank
  /// (its exclusive contribution): the candidate whose loss would shrink the front most first.
  kHypervolume,
  /// MO-ASHA's (Schmucker et al. 2021): non-dominated rank, then crowding distance (NSGA-II).
  kCrowding,
};

/// Indices of `values` (one row per candidate: its objectives at this rung) from most to least
/// deserving, under `rule`; `reference` bounds the hypervolume (search/front_hypervolume.h).
/// Ties: the higher first objective, then the lower index.
std::vector<size_t> promotion_order(const std::vector<std::vector<double>>& values,
                                    const std::vector<Objective>& objectives,
                                    const std::vector<double>& reference, PromotionRule rule);

/// One candidate's record at a rung.
struct RungEntry {
  std::vector<double> values;  ///< its objectives with the accuracy measured at this rung
  bool promoted = false;       ///< already sent to the next rung
};

/// ASHA's asynchronous rule: of the n candidates that reached the rung so far, the best
/// floor(n / eta) by promotion_order may go on; returns those not promoted yet, best first.
std::vector<size_t> promotable(const std::vector<RungEntry>& rung, int eta,
                               const std::vector<Objective>& objectives,
                               const std::vector<double>& reference, PromotionRule rule);

}  // namespace hybridnet::search
