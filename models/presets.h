// The papers' named configurations, resolvable to a plan for any architecture where they make
// sense. A preset spec is "name" or "name:key=value,key=value", e.g. "hybrid-comp-a:k=6,kb=2".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/hybrid_plan.h"

namespace hybridnet::models {

struct PresetInfo {
  std::string name;
  std::string params;  ///< accepted parameters with defaults, e.g. "k=6, kb=2"
  std::string summary;
  /// Earlier spellings, still accepted (hybrid-res-b for inter-layer, say).
  std::vector<std::string> old_names = {};
};

/// Every preset, for --help and docs.
const std::vector<PresetInfo>& presets();

/// A preset's parameters by name (k, kb, p, width, M, bits, exits); missing ones take their
/// defaults.
using PresetParams = std::map<std::string, double>;

/// Resolves preset `name` (or an earlier spelling of it) with `params` for `arch`; throws
/// ConfigError for an unknown preset or parameter, or a preset that does not apply to the
/// architecture (hybrid-res-a on a VGG, say).
HybridPlan make_preset(const std::string& name, const PresetParams& params,
                       const std::string& arch);
/// The same from a spec string "name" or "name:key=value,...".
HybridPlan make_preset(const std::string& spec, const std::string& arch);

/// Architecture of presets when none is named.
inline constexpr const char* kDefaultArch = "resnet20";

/// `--plan` argument: a preset spec, or a path to a plan JSON file. A file's arch must match
/// `arch` when `arch` is not empty; a preset applies to `arch`, or to kDefaultArch when empty.
HybridPlan resolve_plan_argument(const std::string& plan_arg, const std::string& arch);

}  // namespace hybridnet::models
