// Registers a space's candidates in its study and expands the analysis families (pca,
// partition, ...) once their XNOR baseline is trained: profile the baseline once (stored as an
// artifact, so other processes and later sweeps reuse it), derive the plans, register them.
// Torch-free: the profiling itself is a function the sweep passes in.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "analysis/profile.h"
#include "db/store.h"
#include "search/candidates.h"
#include "search/progress.h"
#include "search/run_files.h"
#include "search/space.h"

namespace hybridnet::search {

/// Profiles the trained network in a run directory.
using ProfileRun = std::function<analysis::Profile(const std::string& run_dir)>;

class BaselineExpander {
 public:
  BaselineExpander(const SearchSpace& space, db::Store& store, int64_t study, const RunFiles& files,
                   Console& console, ProfileRun profile);

  /// Registers the space's plain candidates (baselines included) and the analysis candidates
  /// of every baseline already profiled. Returns the number of new trials.
  int register_candidates();

  /// Expands every baseline that is trained and profiled; profiles a trained one first when
  /// `may_profile`. True when every baseline is settled (expanded, or failed so that its
  /// families cannot be). Thread-safe: a baseline is profiled by one worker at a time.
  bool expand(bool may_profile);

  /// Baselines expanded (or given up) so far: grows when expand() registered new work.
  size_t expanded_count() const;
  /// Baselines being profiled now (they use cores as a training does).
  int profiling_now() const;
  bool is_baseline(const std::string& trial_key) const;
  /// New trials this expander has registered so far (grows when expand() found new work).
  size_t registered_count() const { return registered_; }

 private:
  int add_candidates(const std::vector<Candidate>& candidates);
  /// breed_generations, remembering a baseline whose generations are all bred, so that later
  /// calls (every idle worker's) read nothing from the store for it.
  bool evolve(const Candidate& baseline, const analysis::Profile& profile);
  bool breed_generations(const Candidate& baseline, const analysis::Profile& profile);
  void profile_baseline(const db::TrialRecord& t);

  const SearchSpace& space_;
  db::Store& store_;
  int64_t study_;
  const RunFiles& files_;
  Console& console_;
  ProfileRun profile_;
  std::vector<Candidate> baselines_;
  mutable std::mutex mutex_;  // guards expanded_, profiling_, evolved_
  std::set<std::string> expanded_, profiling_;
  std::set<std::string> evolved_;  // expanded baselines whose breeding families are complete
  std::atomic<size_t> registered_{0};
};

/// The store artifact that holds a baseline's profile.
std::string profile_key(const std::string& baseline_key);
/// The store artifact that holds generation `generation` (>= 1) of a breeding family's setting
/// (per-layer) for a baseline: its concrete settings.
std::string generation_key(const std::string& baseline_key, const std::string& family,
                           const nlohmann::json& setting, int generation);

}  // namespace hybridnet::search
