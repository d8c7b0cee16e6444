#include "search/successive_halving.h"

#include <cmath>
#include <map>

#include "search/front_hypervolume.h"
#include "search/promotion.h"
#include "search/results.h"

namespace hybridnet::search {

SuccessiveHalvingScheduler::SuccessiveHalvingScheduler(
    db::Store& store, int64_t study, double stale_seconds, SearchStrategy strategy,
    std::vector<Objective> objectives, std::function<bool(const db::TrialRecord&)> full_budget)
    : store_(store),
      study_(study),
      stale_seconds_(stale_seconds),
      strategy_(std::move(strategy)),
      objectives_(std::move(objectives)),
      full_budget_(std::move(full_budget)) {}

std::optional<Assignment> SuccessiveHalvingScheduler::next(const std::string& worker) {
  // New candidates (and resumptions) first, promotions when nothing else is runnable: the pool
  // is finite, so every first rung result is information a promotion can use.
  auto trial = store_.claim_trial(study_, worker, stale_seconds_);
  if (!trial && refill_ && refill_()) trial = store_.claim_trial(study_, worker, stale_seconds_);
  if (!trial && promote() > 0) trial = store_.claim_trial(study_, worker, stale_seconds_);
  if (!trial) return std::nullopt;
  const bool full = full_budget_ && full_budget_(*trial);
  const int epochs = full ? 0 : strategy_.assignment_epochs(trial->rung);
  return Assignment{std::move(*trial), epochs};
}

std::vector<Objective> promotion_objectives(const std::vector<Objective>& objectives,
                                            const std::vector<db::TrialRecord>& trials) {
  std::vector<Objective> out;
  for (const auto& o : objectives) {
    bool known = o.name == "accuracy";
    if (!known && o.name != "top5") {
      known = true;
      for (const auto& t : trials) known = known && std::isfinite(objective_value(t, o));
    }
    if (known) out.push_back(o);
  }
  if (out.empty() || out.front().name != "accuracy") {
    // Accuracy first (promotion_order breaks ties on the first objective), and always there.
    std::vector<Objective> ordered = {{"accuracy", true}};
    for (const auto& o : out)
      if (o.name != "accuracy") ordered.push_back(o);
    out = ordered;
  }
  return out;
}

int SuccessiveHalvingScheduler::promote() {
  if (!strategy_.multi_fidelity()) return 0;
  const auto rows = store_.rungs(study_);
  if (rows.empty()) return 0;
  std::map<int64_t, db::TrialRecord> trials;
  for (auto& t : store_.trials(study_)) trials.emplace(t.id, std::move(t));
  int promoted = 0;
  // How many will reach each rung: rung 0 every trial that is not trained to the full budget,
  // a later rung those promoted to it. Synchronous successive halving promotes floor(n / eta) of
  // them; so do we at most, whatever order they arrive in.
  std::map<int, int> expected, promoted_from;
  for (const auto& [id, t] : trials)  // still on their way to rung 0
    if (t.rung == 0 && !(full_budget_ && full_budget_(t)) &&
        (t.state == db::TrialState::kPending || t.state == db::TrialState::kRunning ||
         t.state == db::TrialState::kInterrupted))
      ++expected[0];
  for (const auto& r : rows) {
    if (r.rung == 0) ++expected[0];
    if (r.promoted) {
      ++expected[r.rung + 1];
      ++promoted_from[r.rung];
    }
  }
  for (int k = 0; k < strategy_.last_rung(); ++k) {
    // The trials that reached rung k, each as a record whose accuracy is the one measured there.
    std::vector<db::TrialRecord> reached;
    std::vector<bool> gone_on;
    for (const auto& r : rows) {
      const auto it = trials.find(r.trial_id);
      if (r.rung != k || it == trials.end()) continue;
      db::TrialRecord t = it->second;
      gone_on.push_back(r.promoted || t.rung > k);
      t.objectives["accuracy"] = r.accuracy;
      t.points.clear();  // operating points are a finished network's
      reached.push_back(std::move(t));
    }
    if (reached.empty()) continue;
    const auto objectives = promotion_objectives(objectives_, reached);
    std::vector<RungEntry> entries;
    for (size_t i = 0; i < reached.size(); ++i) {
      RungEntry e;
      for (const auto& o : objectives) e.values.push_back(objective_value(reached[i], o));
      e.promoted = gone_on[i];
      entries.push_back(std::move(e));
    }
    // The hypervolume rule needs the study's reference point; without one (no FP cost ratios,
    // say) crowding, which needs none, decides.
    PromotionRule rule = strategy_.promotion;
    std::vector<double> reference;
    if (rule == PromotionRule::kHypervolume) {
      if (auto hv = front_hypervolume(reached, objectives))
        reference = hv->reference;
      else
        rule = PromotionRule::kCrowding;
    }
    // The store enforces the cap: another process may be promoting from this rung now.
    const int limit = expected[k] / strategy_.eta;
    if (promoted_from[k] >= limit) continue;
    for (size_t i : promotable(entries, strategy_.eta, objectives, reference, rule))
      if (store_.promote_trial(reached[i].id, k, limit)) ++promoted;
  }
  return promoted;
}

}  // namespace hybridnet::search
