// A study front's hypervolume against a fixed reference point, the number by which fronts of
// different searches are compared: chance accuracy (1/classes: 0.1 on 10 classes) and 1.1x the
// FP network's energy and memory, so that every network better than a coin and cheaper than
// the FP one counts.
#pragma once

#include <optional>
#include <vector>

#include "db/store.h"
#include "search/pareto.h"

namespace hybridnet::search {

struct FrontHypervolume {
  std::vector<double> reference;  ///< per objective, in its units
  double value = 0;               ///< in the product of the objectives' units
  /// value / the volume between the reference and the ideal point (accuracy 1, cost 0): the
  /// share of the reference box the front covers, in [0, 1].
  double normalized = 0;
};

/// The hypervolume of `points` (a study's design points, as pareto_trials returns them) over
/// `objectives`. References: accuracy and top5 at chance (1/classes, 5/classes, from the
/// trials' dataset), energy and memory at 1.1x the FP network's (the largest, from the
/// trials' ee_fp and mc_fp ratios), other costs at 1.1x the worst value among the points,
/// ratios to the FP or XNOR network (maximised) at 0 with 1.1x the best as their ideal.
/// nullopt for no points, or an objective optimised against its natural direction.
std::optional<FrontHypervolume> front_hypervolume(const std::vector<db::TrialRecord>& points,
                                                  const std::vector<Objective>& objectives);

}  // namespace hybridnet::search
