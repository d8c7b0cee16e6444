// The search families: each turns a parameter setting into a HybridPlan. Plain families are the
// papers' named configurations (models/presets); analysis families (pca, partition, combined)
// derive their plan from the profile of a trained XNOR baseline (analysis/selectors). The
// edge_cloud family also sets how the exits train and which exit thresholds score the network.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/profile.h"
#include "analysis/selectors.h"
#include "models/hybrid_plan.h"

namespace hybridnet::search {

struct FamilyParam {
  std::string name;
  nlohmann::json default_value;  ///< also the example of the value's kind
  std::string help;
  /// An array is one value (a list), not a grid of values: edge_cloud's thresholds.
  bool list = false;
  /// A grid value may also be an array of numbers (edge_cloud's exits: a count, or positions);
  /// the outer array is still the grid.
  bool or_numbers = false;
};

struct Family {
  std::string name;
  std::vector<FamilyParam> params;
  bool needs_profile = false;  ///< derived from the XNOR baseline's profile
  std::string summary;
};

/// Every family, for validation and --help.
const std::vector<Family>& families();
/// The family named `name`, or nullptr.
const Family* find_family(const std::string& name);

/// Plan of a plain family at `arch` and `width`; ConfigError when a value is out of range or the
/// family does not apply to the architecture.
models::HybridPlan family_plan(const std::string& family, const nlohmann::json& params,
                               const std::string& arch, double width);

/// How the exits of a family's network train: set for edge_cloud (mode, lambda shared by its
/// exits), null for the families without exits. ConfigError naming the bad value.
nlohmann::json family_exit_training(const std::string& family, const nlohmann::json& params);

/// Exit thresholds at which a family's trained network is scored: edge_cloud's "thresholds"
/// ("FROM:TO:STEP", "T1,T2" or an array of numbers), empty for the other families.
std::vector<double> family_thresholds(const std::string& family, const nlohmann::json& params);

/// Checks an analysis family's parameter values (no profile needed); ConfigError naming the bad
/// value.
void check_analysis_params(const std::string& family, const nlohmann::json& params);

/// Selection of an analysis family from the baseline's profile (retuned to the setting's T and
/// gamma where the family has them).
analysis::Selection family_selection(const std::string& family, const nlohmann::json& params,
                                     const analysis::Profile& profile, uint64_t seed);

}  // namespace hybridnet::search
