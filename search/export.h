// Export of a trained network for deployment: a self-describing directory with the plan, the
// trained weights (LibTorch archive, loadable by `hybridnet evaluate --export DIR`), the ONNX
// model (model.onnx; edge.onnx and cloud.onnx for an edge-cloud network), the metrics and the
// cost.
#pragma once

#include <string>

#include "db/store.h"
#include "models/energy_table.h"
#include "search/run_files.h"

namespace hybridnet::search {

/// Writes trial `t` of study `study` (its run directory found by `files`) to `out`: plan.json,
/// model.pt, model.onnx, run.json, state.json, metrics.json, cost.json, trial.json and
/// README.md (and edge.onnx, cloud.onnx for an edge-cloud network). A network with
/// early exits: trial.json lists its operating points, and when `t` is one of them (t.point,
/// chosen by `export --threshold`) also the thresholds to deploy with. Throws ConfigError when
/// the trial is not done, DataError when its run directory is missing. Nothing partial is left
/// behind on failure, and links in `out` are replaced, never written through. A non-empty `out`
/// is a ConfigError unless `force`, which replaces the export's files in it and keeps the rest.
void export_trial(const db::TrialRecord& t, const std::string& study, const RunFiles& files,
                  const std::string& out, bool force = false);

/// Exports the training run directory `run` (of `hybridnet train`) the same way, without
/// trial.json; `threshold` >= 0 is recorded as every early exit's threshold. The run need not
/// be finished (its last epoch's weights are exported); `energy_table` prices cost.json.
void export_run(const std::string& run, const std::string& out, bool force,
                double threshold = -1,
                const std::string& energy_table = models::kDefaultEnergyTable);

/// The ONNX model (serialised) of the whole network in run directory `run`: model.onnx of its
/// export.
std::string run_onnx_model(const std::string& run);

}  // namespace hybridnet::search
