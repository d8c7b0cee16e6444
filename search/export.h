// Export of a finished trial for deployment: a self-describing directory with the plan, the
// trained weights, the metrics and the cost, loadable by `hybridnet evaluate --export DIR`.
#pragma once

#include <string>

#include "db/store.h"
#include "search/run_files.h"

namespace hybridnet::search {

/// Writes trial `t` of study `study` (its run directory found by `files`) to `out`: plan.json, model.pt,
/// run.json, state.json, metrics.json, cost.json, trial.json and README.md. A network with
/// early exits: trial.json lists its operating points, and when `t` is one of them (t.point,
/// chosen by `export --threshold`) also the thresholds to deploy with. Throws ConfigError when
/// the trial is not done, DataError when its run directory is missing.
void export_trial(const db::TrialRecord& t, const std::string& study, const RunFiles& files,
                  const std::string& out);

}  // namespace hybridnet::search
