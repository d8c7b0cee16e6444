// Per-layer profile of a trained network: PCA significant dimensions k_i at threshold T (PCA
// paper, Algorithm 1), input binarisation error E_i (partition paper, eq. 2), size NF_i and the
// metric M_i = E_i + gamma / NF_i (eq. 4). Profiled layers are the main path: the stem and every
// body layer in forward order (not shortcut convs, not the classifier), numbered from 1 with the
// stem as 1, which is the numbering of the PCA paper's Table 2.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analysis/binarization_error.h"
#include "analysis/streaming_covariance.h"
#include "models/activation_view.h"
#include "models/architecture.h"
#include "models/hybrid_plan.h"

namespace hybridnet::analysis {

struct LayerProfile {
  int position = 0;  ///< 1-based among profiled layers, stem = 1
  int layer = 0;     ///< architecture layer index
  std::string name;
  int out_channels = 0;
  int k = 0;                               ///< components explaining >= T of the output variance
  int delta_k = 0;                         ///< k_i - k_{i-1} (0 for the stem)
  std::vector<double> explained_variance;  ///< cumulative, one entry per component
  double error = 0;                        ///< E_i = mean ||I - sign I||^2 / n of the layer input
  double error_scaled = 0;                 ///< mean ||I - beta sign I||^2 / n, beta = mean |I|
  double flops = 0;                        ///< NF_i: FLOPs in the cost model (binary MACs / 58)
  double metric = 0;                       ///< M_i = E_i (or the scaled E_i) + gamma / NF_i
  bool eligible = false;                   ///< a quantized body layer, which selectors may upgrade
};

struct ProfileOptions {
  double threshold = 0.99;
  /// gamma < 0: automatic, gamma = mean(E_i) / mean(1 / NF_i) over the eligible layers, so that
  /// both terms of M_i have the same mean (the partition paper asks for "comparable magnitude").
  double gamma = -1;
  bool scaled_error = false;  ///< use the beta-scaled error in M_i
  models::CaptureOptions capture;
};

struct Profile {
  std::string arch;
  models::HybridPlan plan;  ///< the profiled network's plan
  double threshold = 0.99;
  double gamma = 0;
  bool plain = false;
  bool scaled_error = false;
  int64_t samples = 0;
  std::vector<LayerProfile> layers;
};

/// Statistics gathered for one layer.
struct LayerStats {
  StreamingCovariance output;
  BinarizationError input;
};

/// Builds the profile from gathered statistics (keyed by architecture layer index).
Profile make_profile(const models::Architecture& arch, const models::HybridPlan& plan,
                     const std::map<int, LayerStats>& stats, const ProfileOptions& options);

/// The profile at threshold T and gamma (< 0: automatic) from its stored explained-variance
/// curves and errors: k_i, delta k_i and M_i recomputed without a new capture.
Profile retune(Profile p, double threshold, double gamma);

/// Captures the activations of run directory `dir` on `data` with `capture` (in the tool:
/// models::capture_activations, which runs the network in LibTorch) and profiles them.
Profile profile_run(const std::string& dir, const models::DataOptions& data,
                    const ProfileOptions& options, const models::ActivationCapture& capture);

/// Main-path layers profiled for an architecture (stem + body, forward order).
std::vector<int> profiled_layers(const models::Architecture& arch);

}  // namespace hybridnet::analysis
