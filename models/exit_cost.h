// Where a conditionally deep network spends its energy (edge-cloud paper): what a sample costs
// when it leaves at each early exit, and what the edge and the cloud spend on a sample that
// goes on to the cloud. Built from the per-layer cost model; no torch.
#pragma once

#include <cstdint>
#include <vector>

#include "models/cost_model.h"
#include "models/early_exit.h"

namespace hybridnet::models {

struct ExitCosts {
  /// Energy of a sample that leaves at early exit k: the stem, every layer of the blocks up to
  /// the exit's, and the classifiers of exits 1..k (a sample tries every exit it passes).
  std::vector<double> to_exit_pj;
  /// A sample that takes no early exit: the edge runs all its layers and exits, the cloud the
  /// rest. edge_pj + cloud_pj is the whole network's energy. Without a split the whole network
  /// is "edge" (one device) and cloud_pj is 0.
  double edge_pj = 0, cloud_pj = 0;
  /// Values of the feature map the edge sends to the cloud (C x H x W of one sample).
  int64_t transfer_values = 0;
};

ExitCosts exit_costs(const Architecture& arch, const HybridPlan& plan, const CostReport& cost);

/// Energy per inference given the share of samples leaving at each exit (the rest go to the
/// cloud); `transfer_pj_per_bit` > 0 adds the communication of the 32-bit feature map of each
/// sample sent to the cloud (the paper leaves it out: 0).
struct InferenceEnergy {
  double edge_pj = 0, cloud_pj = 0, transfer_pj = 0;
  double mean_pj() const { return edge_pj + cloud_pj + transfer_pj; }
};
InferenceEnergy inference_energy(const ExitCosts& costs, const std::vector<double>& exit_share,
                                 double transfer_pj_per_bit = 0);

/// One threshold setting of a network with early exits: where samples leave, the accuracy,
/// and the energy per inference.
struct OperatingPoint {
  ExitPoint exit;
  InferenceEnergy energy;
};
/// The operating point of every threshold t of `grid`, every early exit at t (one pass over the
/// cached entropies each).
std::vector<OperatingPoint> operating_points(const ExitCurve& curve, const ExitCosts& costs,
                                             const std::vector<double>& grid,
                                             double transfer_pj_per_bit = 0);

}  // namespace hybridnet::models
