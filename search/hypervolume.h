// Hypervolume of a front: the measure of the objective space its points dominate, bounded by a
// reference point. One number that grows when a front gets better anywhere, so that searches
// can be compared (multi-fidelity against exhaustive) and a candidate's worth to a front
// measured (what it would add). Exact, by slicing along one objective at a time.
#pragma once

#include <vector>

#include "search/pareto.h"

namespace hybridnet::search {

/// The hypervolume of `points` (points[i][j]: objective j of point i, in that objective's own
/// units and direction) up to `reference` (a value per objective, worse than any point that
/// should count: accuracy 0.1 for chance on 10 classes, 1.1x the FP network's energy, ...).
/// A point no better than the reference in some objective adds nothing; dominated and repeated
/// points add nothing. Exact; O(n^(d-1) log n) for n points and d objectives.
double hypervolume(const std::vector<std::vector<double>>& points,
                   const std::vector<double>& reference, const std::vector<Objective>& objectives);

/// What `candidate` would add to the hypervolume of `points` (0 when they dominate it).
double hypervolume_contribution(const std::vector<std::vector<double>>& points,
                                const std::vector<double>& candidate,
                                const std::vector<double>& reference,
                                const std::vector<Objective>& objectives);

}  // namespace hybridnet::search
