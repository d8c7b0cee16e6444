#include "search/baseline_expander.h"

#include <chrono>

#include "analysis/profile_io.h"
#include "search/results.h"

namespace hybridnet::search {

std::string profile_key(const std::string& baseline_key) { return "profile:" + baseline_key; }

BaselineExpander::BaselineExpander(const SearchSpace& space, db::Store& store, int64_t study,
                                   const RunFiles& files, Console& console, ProfileRun profile)
    : space_(space),
      store_(store),
      study_(study),
      files_(files),
      console_(console),
      profile_(std::move(profile)) {}

int BaselineExpander::register_candidates() {
  const auto plain = plain_candidates(space_);
  for (const auto& c : plain)
    if (c.priority == kBaselinePriority) baselines_.push_back(c);
  const int added = add_candidates(plain);
  console_.log("study " + space_.study + ": " + std::to_string(added) +
               " new candidate(s) registered" +
               (space_.needs_profile() ? " (analysis families follow their XNOR baseline)" : ""));
  expand(/*may_profile=*/false);
  return added;
}

int BaselineExpander::add_candidates(const std::vector<Candidate>& candidates) {
  const Distinct d = deduplicate(candidates);
  std::vector<db::NewTrial> trials;
  for (size_t i = 0; i < d.candidates.size(); ++i) {
    db::NewTrial t = to_new_trial(d.candidates[i]);
    for (const auto& s : d.settings[i]) {
      t.family = s.family;
      t.params = s.params;
      trials.push_back(t);
    }
  }
  int added = 0;  // one transaction: a full disk registers none of them
  for (const auto& [id, is_new] : store_.add_trials(study_, trials)) added += is_new ? 1 : 0;
  return added;
}

bool BaselineExpander::expand(bool may_profile) {
  bool settled = true;
  for (const auto& b : baselines_) {
    const std::string key = b.key();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (expanded_.count(key)) continue;
    }
    auto stored = store_.artifact(study_, profile_key(key));
    if (!stored) {
      const auto trials = store_.trials(study_);
      const db::TrialRecord* trial = trial_with_key(trials, key);
      if (trial && trial->state == db::TrialState::kFailed) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (expanded_.insert(key).second)
          console_.log("baseline #" + std::to_string(trial->id) +
                       " failed: its analysis families are skipped");
        continue;
      }
      if (!trial || trial->state != db::TrialState::kDone || !may_profile) {
        settled = false;
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!profiling_.insert(key).second) {  // another worker of ours is on it
          settled = false;
          continue;
        }
      }
      try {
        profile_baseline(*trial);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        profiling_.erase(key);
        throw;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        profiling_.erase(key);
      }
      stored = store_.artifact(study_, profile_key(key));
    }
    const auto profile =
        analysis::profile_from_json(*stored, store_.location() + ": " + profile_key(key));
    std::vector<std::string> skipped;
    const int added = add_candidates(analysis_candidates(space_, b, profile, &skipped));
    for (const auto& s : skipped) console_.log("  no plan for " + s);
    std::lock_guard<std::mutex> lock(mutex_);
    if (expanded_.insert(key).second && added > 0)
      console_.log("analysis of baseline " + b.plan.arch + ": " + std::to_string(added) +
                   " new candidate(s)");
  }
  return settled;
}

void BaselineExpander::profile_baseline(const db::TrialRecord& t) {
  const std::string dir = files_.finished_run(space_.study, t);
  console_.log("profiling baseline #" + std::to_string(t.id) + " on " +
               std::to_string(space_.analysis.samples) + " images");
  const auto t0 = std::chrono::steady_clock::now();
  const auto profile = profile_(dir);
  store_.put_artifact(study_, profile_key(t.key), analysis::profile_to_json(profile));
  console_.log("profiled baseline #" + std::to_string(t.id) + " in " +
               format_duration(
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
}

size_t BaselineExpander::expanded_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return expanded_.size();
}

int BaselineExpander::profiling_now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(profiling_.size());
}

bool BaselineExpander::is_baseline(const std::string& trial_key) const {
  for (const auto& b : baselines_)
    if (b.key() == trial_key) return true;
  return false;
}

}  // namespace hybridnet::search
