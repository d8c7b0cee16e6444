// Candidates: the networks a sweep trains, one per family setting x architecture x width x seed,
// deduplicated by identity (canonical plan + training settings + data), so that two settings
// selecting the same layers train once. Analysis families are expanded only once their XNOR
// baseline (itself a candidate, claimed first) is trained and profiled.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/profile.h"
#include "db/store.h"
#include "models/hybrid_plan.h"
#include "search/space.h"
#include "search/trial_config.h"

namespace hybridnet::search {

/// Priority of the analysis baselines in the store: claimed before everything else.
inline constexpr int kBaselinePriority = 10;

struct Candidate {
  std::string family;
  nlohmann::json params;  ///< the family's parameter setting
  models::HybridPlan plan;
  TrialConfig config;  ///< what a runner needs besides the plan
  int priority = 0;

  /// Identity in a study: hash of models::run_identity (the canonical plan, the training
  /// settings that change the result, the exits' training, the data options) and the network it
  /// starts from (config.init_key). Not the exit thresholds: they score a trained network, so
  /// settings differing only there share it.
  std::string key() const;
};

/// Every plain family's candidates, plus the XNOR baseline of every (arch, width, seed) when the
/// space has analysis families.
std::vector<Candidate> plain_candidates(const SearchSpace& space);
/// The XNOR baseline that the analysis families of (arch, width, seed) profile.
Candidate baseline_candidate(const SearchSpace& space, const std::string& arch, double width,
                             uint64_t seed);
/// The analysis families' candidates derived from a baseline's profile. Settings whose selector
/// finds nothing (no partition qualifies) are skipped and reported in `skipped`.
std::vector<Candidate> analysis_candidates(const SearchSpace& space, const Candidate& baseline,
                                           const analysis::Profile& profile,
                                           std::vector<std::string>* skipped = nullptr);

/// The candidate of one concrete setting of analysis family grid `g` (a per-layer genome, a
/// pca setting) from a baseline's profile; family empty when the selector finds nothing
/// (reported in `skipped`).
Candidate bred_candidate(const SearchSpace& space, const Candidate& baseline,
                         const analysis::Profile& profile, const FamilyGrid& g,
                         const nlohmann::json& setting, std::vector<std::string>* skipped = nullptr);

/// The store's row of a candidate: predicted cost objectives and per-layer precision.
db::NewTrial to_new_trial(const Candidate& c);

/// Distinct candidates by key, in first-seen order; `settings[i]` lists every (family, params)
/// that produced distinct candidate i.
struct Distinct {
  std::vector<Candidate> candidates;
  std::vector<std::vector<db::Setting>> settings;
};
Distinct deduplicate(const std::vector<Candidate>& candidates);

}  // namespace hybridnet::search
