// A search family: a named, parameterised way of choosing a network's precisions. Plain families
// turn a parameter setting into a plan directly (mostly the papers' presets); analysis families
// derive it from the profile of a trained XNOR baseline (analysis/selectors). A family also says
// how its network's exits train and at which exit thresholds it is scored. Every family is one
// file under search/families/, listed in search/family_registry.cpp.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/profile.h"
#include "analysis/selectors.h"
#include "models/hybrid_plan.h"
#include "models/run_spec.h"
#include "search/pareto.h"

namespace hybridnet::search {

struct FamilyParam {
  std::string name;
  nlohmann::json default_value;  ///< also the example of the value's kind
  std::string help;
  /// An array is one value (a list), not a grid of values: edge-cloud's thresholds.
  bool list = false;
  /// A grid value may also be an array of numbers (edge-cloud's exits: a count, or positions);
  /// the outer array is still the grid.
  bool or_numbers = false;
};

/// What a family is called and takes.
struct FamilyInfo {
  std::string name;
  std::string summary;
  std::vector<FamilyParam> params;
  /// Derived from the XNOR baseline's profile (plan() is not available, select() is).
  bool needs_profile = false;
  /// Earlier spellings, still read in space files and stores (edge_cloud for edge-cloud).
  std::vector<std::string> old_names = {};
};

/// A family's behaviour. `setting` is one parameter setting with every parameter present (the
/// space parser fills in defaults and checks each value's JSON kind).
class Family {
 public:
  explicit Family(FamilyInfo info) : info_(std::move(info)) {}
  virtual ~Family() = default;

  const std::string& name() const { return info_.name; }
  const std::string& summary() const { return info_.summary; }
  const std::vector<FamilyParam>& params() const { return info_.params; }
  bool needs_profile() const { return info_.needs_profile; }
  const std::vector<std::string>& old_names() const { return info_.old_names; }

  /// Checks a setting's values (ranges, allowed words) before anything trains; ConfigError
  /// naming the bad value. Plain families also check by planning every architecture.
  virtual void check(const nlohmann::json& setting) const;
  /// Plain families: the plan at `arch` and `width`; ConfigError when a value is out of range
  /// or the family does not apply to the architecture.
  virtual models::HybridPlan plan(const nlohmann::json& setting, const std::string& arch,
                                  double width) const;
  /// Analysis families: the selection from the baseline's profile.
  virtual analysis::Selection select(const nlohmann::json& setting,
                                     const analysis::Profile& profile, uint64_t seed) const;
  /// Families that breed their candidates over generations from the results of earlier ones
  /// (per-layer): how many generations `setting` asks for; 1 for every other family.
  virtual int generations(const nlohmann::json& setting) const;
  /// The concrete settings of generation `generation` of `setting`, each of which select()
  /// turns into one plan. `evaluated` holds the concrete settings of the earlier generations
  /// with their values of `objectives` (accuracy at the first rung, exact costs). The default:
  /// generation 0 is the setting itself, and there is no other.
  virtual std::vector<nlohmann::json> breed(
      const nlohmann::json& setting, const analysis::Profile& profile, uint64_t seed,
      int generation,
      const std::vector<std::pair<nlohmann::json, std::vector<double>>>& evaluated,
      const std::vector<Objective>& objectives) const;
  /// How the network's exits train; none for networks without exits.
  virtual std::optional<models::ExitTraining> exit_training(const nlohmann::json& setting) const;
  /// Exit thresholds at which the trained network is scored; empty without exits.
  virtual std::vector<double> thresholds(const nlohmann::json& setting) const;

 private:
  FamilyInfo info_;
};

/// `setting[key]` as a number.
double number_param(const nlohmann::json& setting, const std::string& key);
/// ConfigError "family: key = v must be in [lo, hi]" (or "(lo, hi]" when `lo_open`).
void check_param_range(const std::string& family, const std::string& key, double v, double lo,
                       double hi, bool lo_open);

}  // namespace hybridnet::search
