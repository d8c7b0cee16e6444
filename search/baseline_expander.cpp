#include "search/baseline_expander.h"

#include <chrono>

#include <cmath>
#include <map>

#include "analysis/profile_io.h"
#include "search/family_registry.h"
#include "search/results.h"
#include "search/successive_halving.h"

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
  registered_ += added;
  return added;
}

bool BaselineExpander::expand(bool may_profile) {
  bool settled = true;
  for (const auto& b : baselines_) {
    const std::string key = b.key();
    bool expanded;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (evolved_.count(key)) continue;  // expanded, every generation bred: nothing to read
      expanded = expanded_.count(key) > 0;
    }
    if (expanded) {
      if (auto stored = store_.artifact(study_, profile_key(key)))
        settled = evolve(b, analysis::profile_from_json(
                                *stored, store_.location() + ": " + profile_key(key))) &&
                  settled;
      continue;
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
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (expanded_.insert(key).second && added > 0)
        console_.log("analysis of baseline " + b.plan.arch + ": " + std::to_string(added) +
                     " new candidate(s)");
    }
    settled = evolve(b, profile) && settled;
  }
  return settled;
}

std::string generation_key(const std::string& baseline_key, const std::string& family,
                           const nlohmann::json& setting, int generation) {
  return "generation:" + baseline_key + ":" + family + ":" + setting.dump() + ":" +
         std::to_string(generation);
}

// Breeds the next generation of every breeding family setting (per-layer) of baseline `b`
// whose last generation is evaluated: each of its trials stopped at the first rung (successive
// halving) or finished (a grid), failed ones left out. The generation is stored as an artefact
// first (first writer wins: every process registers the same one), then registered. True when
// every such setting has all its generations.
bool BaselineExpander::evolve(const Candidate& b, const analysis::Profile& profile) {
  const bool settled = breed_generations(b, profile);
  if (settled) {
    std::lock_guard<std::mutex> lock(mutex_);
    evolved_.insert(b.key());
  }
  return settled;
}

bool BaselineExpander::breed_generations(const Candidate& b, const analysis::Profile& profile) {
  bool settled = true;
  const uint64_t seed = b.config.train.seed;
  for (const auto& g : space_.families) {
    const Family& family = family_named(g.family);
    for (const auto& setting : g.settings()) {
      const int total = family.generations(setting);
      if (total <= 1) continue;
      // Concrete settings of each generation so far: the first is drawn again (deterministic),
      // the others are read back.
      std::vector<std::vector<nlohmann::json>> generations = {
          family.breed(setting, profile, seed, 0, {}, {})};
      while (static_cast<int>(generations.size()) < total) {
        const auto stored = store_.artifact(
            study_, generation_key(b.key(), g.family, setting, static_cast<int>(generations.size())));
        if (!stored) break;
        generations.push_back(stored->get<std::vector<nlohmann::json>>());
      }
      const int next = static_cast<int>(generations.size());
      if (next >= total) continue;
      // The last generation's trials, and every earlier one's, with their first-rung accuracy.
      auto trials = store_.trials(study_);
      std::map<int64_t, double> first_rung;
      for (const auto& r : store_.rungs(study_))
        if (r.rung == 0) first_rung[r.trial_id] = r.accuracy;
      std::vector<std::pair<nlohmann::json, db::TrialRecord>> evaluated;
      bool ready = true;
      for (int gen = 0; gen < next; ++gen)
        for (const auto& concrete : generations[gen]) {
          const Candidate c = bred_candidate(space_, b, profile, g, concrete);
          const db::TrialRecord* t = c.family.empty() ? nullptr : trial_with_key(trials, c.key());
          if (!t) continue;  // nothing to train (or not registered by this version)
          db::TrialRecord r = *t;
          if (first_rung.count(r.id))
            r.objectives["accuracy"] = first_rung.at(r.id);
          else if (r.state != db::TrialState::kDone)
            ready = ready && r.state == db::TrialState::kFailed;
          if (r.state != db::TrialState::kFailed && std::isfinite(r.objective("accuracy")))
            evaluated.emplace_back(concrete, std::move(r));
        }
      if (!ready || evaluated.empty()) {
        settled = false;
        continue;
      }
      std::vector<db::TrialRecord> records;
      for (const auto& e : evaluated) records.push_back(e.second);
      const auto objectives = promotion_objectives(space_.objectives, records);
      std::vector<std::pair<nlohmann::json, std::vector<double>>> scored;
      for (const auto& [concrete, r] : evaluated) {
        std::vector<double> v;
        for (const auto& o : objectives) v.push_back(objective_value(r, o));
        scored.emplace_back(concrete, std::move(v));
      }
      const std::string key = generation_key(b.key(), g.family, setting, next);
      store_.put_artifact(study_, key,
                          family.breed(setting, profile, seed, next, scored, objectives));
      std::vector<Candidate> children;
      for (const auto& concrete : store_.artifact(study_, key)->get<std::vector<nlohmann::json>>()) {
        children.push_back(bred_candidate(space_, b, profile, g, concrete));
        if (children.back().family.empty()) children.pop_back();
      }
      const int added = add_candidates(children);
      console_.log(setting_label(g.family, setting) + ": generation " +
                   std::to_string(next + 1) + " of " + std::to_string(total) + " bred from " +
                   std::to_string(evaluated.size()) + " evaluated, " + std::to_string(added) +
                   " new candidate(s)");
      if (next + 1 < total) settled = false;
    }
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
