// How a sweep spends its epochs: the space file's "search" object.
//   {"strategy": "grid"}   every candidate to the full budget (the default)
//   {"strategy": "successive-halving", "rungs": [1, 3, 9], "eta": 3, "promotion": "hypervolume"}
// Successive halving (asynchronous, as ASHA) trains every candidate to the first rung's epochs;
// of those that reached a rung, the best 1/eta (search/promotion.h) go on to the next, the
// last rung being the full budget. It chooses on a validation split held out from the
// training images (data.val_fraction, 0.1 unless the space gives one).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "search/promotion.h"

namespace hybridnet::search {

enum class Strategy { kGrid, kSuccessiveHalving };

struct SearchStrategy {
  Strategy strategy = Strategy::kGrid;
  std::vector<int> rungs;  ///< successive halving: epochs at each rung; the last is the budget
  int eta = 3;             ///< successive halving: 1/eta of a rung go on
  PromotionRule promotion = PromotionRule::kHypervolume;

  bool multi_fidelity() const { return strategy == Strategy::kSuccessiveHalving; }
  /// Epochs to train a trial towards rung `rung` (0 for the last rung: the trial's full budget,
  /// which includes the separate exit-training epochs of a network with early exits).
  int assignment_epochs(int rung) const;
  /// The index of the last rung (0 for a grid).
  int last_rung() const { return rungs.empty() ? 0 : static_cast<int>(rungs.size()) - 1; }
};

/// Reads the "search" object of a space whose training runs `epochs` epochs; errors name
/// `where` and the key ("space.json: search.rungs: ..."). Without "rungs", successive halving
/// takes eta-spaced rungs ending at `epochs`: 9 epochs, eta 3 -> [1, 3, 9].
SearchStrategy parse_search_strategy(const nlohmann::json& j, int epochs, const std::string& where);

/// Inverse of parse_search_strategy (what `space` prints and a study stores).
nlohmann::json to_json(const SearchStrategy& s);

}  // namespace hybridnet::search
