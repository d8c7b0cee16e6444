// One pass of a network with early exits over a dataset, keeping every exit's logits, so that
// any number of exit thresholds can be scored afterwards (ExitCurve) without re-running it.
#pragma once

#include "models/dataset.h"
#include "models/early_exit.h"
#include "models/energy_table.h"
#include "models/exit_cost.h"
#include "models/network.h"
#include "models/trainer.h"

namespace hybridnet::models {

ExitLogits collect_exit_logits(HybridNet& net, const Dataset& data, int batch_size,
                               torch::Device device);

/// A trained run with early exits scored over a threshold grid: its cost, where it spends its
/// energy, and the operating point of every threshold (one pass over `test` on the run's device).
struct ExitScores {
  CostReport cost;
  ExitCosts costs;
  std::vector<OperatingPoint> points;
};
ExitScores score_exits(LoadedRun& run, const Dataset& test, const EnergyTable& table,
                       const std::vector<double>& grid, double transfer_pj_per_bit = 0);

}  // namespace hybridnet::models
