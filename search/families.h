// The search families: each turns a parameter setting into a HybridPlan. Plain families are the
// papers' named configurations (models/presets); analysis families (pca, partition, combined)
// derive their plan from the profile of a trained XNOR baseline (analysis/selectors).
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

/// Checks an analysis family's parameter values (no profile needed); ConfigError naming the bad
/// value.
void check_analysis_params(const std::string& family, const nlohmann::json& params);

/// Selection of an analysis family from the baseline's profile (retuned to the setting's T and
/// gamma where the family has them).
analysis::Selection family_selection(const std::string& family, const nlohmann::json& params,
                                     const analysis::Profile& profile, uint64_t seed);

}  // namespace hybridnet::search
