// Operating points of a trial whose network has early exits (the edge_cloud family): the exit
// thresholds its settings ask for, and the scoring of the trained network at them (one pass over
// the test split, then Algorithm 1 of the edge-cloud paper per threshold on cached logits).
#pragma once

#include <string>
#include <vector>

#include "db/store.h"
#include "models/dataset.h"

namespace hybridnet::search {

/// Every exit threshold the trial's settings ask for, sorted, without duplicates (empty for a
/// network without exits).
std::vector<double> requested_thresholds(const db::TrialRecord& t);
/// The requested thresholds the trial has no stored point for yet.
std::vector<double> missing_thresholds(const db::TrialRecord& t);

/// The points of the trained network in `run_dir` at `grid` (every early exit at the same
/// threshold), on `data`'s test split, energy from `energy_table`. DataError when the run
/// directory is gone.
std::vector<db::PointRow> score_points(const std::string& run_dir, const models::DataSplits& data,
                                       const std::string& energy_table,
                                       const std::vector<double>& grid);

}  // namespace hybridnet::search
