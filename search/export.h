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
/// the trial is not done, DataError when its run directory is missing. Nothing partial is left
/// behind on failure, and links in `out` are replaced, never written through. A non-empty `out`
/// is a ConfigError unless `force`, which replaces the export's files in it and keeps the rest.
void export_trial(const db::TrialRecord& t, const std::string& study, const RunFiles& files,
                  const std::string& out, bool force = false);

}  // namespace hybridnet::search
