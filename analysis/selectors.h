// Selectors: a profile and parameters -> a HybridPlan, with the reason each layer was or was not
// upgraded. All are deterministic for a given profile, parameters and seed.
//   pca (Delta, k_b):        significant layers (k_i - k_{i-1} > Delta) get k_b-bit weights and
//                            inputs; the rest keep the profiled plan (PCA paper, Hybrid-Net).
//   partition (R, gamma):    the partition paper's Algorithm 1 over M_i; the highest-metric
//                            cluster becomes WeightBin (binary weights, FP inputs).
//   combined (R, upgrade):   the same partition over [normalised Delta k_i, normalised M_i]; the
//                            highest cluster's layers get k_b-bit weights and inputs, or FP inputs.
// Only eligible layers (quantized body layers) take part: the stem and classifier stay FP.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/profile.h"

namespace hybridnet::analysis {

struct Selection {
  std::string selector;     ///< pca | partition | combined
  nlohmann::json params;    ///< e.g. {"delta": 1, "kb": 2}
  bool found = true;        ///< false when no setting qualifies (partition: no N with K/P <= R)
  std::string message;      ///< why nothing was found, or a summary
  models::HybridPlan plan;  ///< the profiled plan with the upgraded layers changed
  std::vector<std::string> upgraded;           ///< layer names, forward order
  std::map<std::string, std::string> reasons;  ///< per eligible layer: the rule that decided it
};

Selection select_pca(const Profile& profile, double delta, int kb);
Selection select_partition(const Profile& profile, double ratio, uint64_t seed = 0);
/// `kb` 2..8: k_b-bit weights and inputs; 32: FP inputs with binary weights (WeightBin).
Selection select_combined(const Profile& profile, double ratio, int kb, uint64_t seed = 0);

}  // namespace hybridnet::analysis
