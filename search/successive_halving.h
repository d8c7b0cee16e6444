// Successive halving over a study, asynchronous as ASHA (Li et al. 2020) in that no worker waits
// for a rung to fill, with the multi-objective promotion of search/promotion.h. Every candidate
// trains to the first rung and stops there (state "stopped"). A worker takes new candidates
// first; when nothing is runnable, each rung's best floor(n / eta) of the n trials that reached
// it so far are promoted (pending again, towards the next rung, resuming from their rung
// checkpoint), never more from a rung than synchronous successive halving would promote from
// all that will reach it. ASHA promotes eagerly because its pool of candidates is unbounded; a
// space's pool is finite, and an eager promotion made on a few results costs a rung of epochs
// that a later, better candidate would have deserved (measured in examples/multi_fidelity).
// The rungs and promotions live in the store, so that several processes share one search and a
// killed one resumes it: promotion is a compare-and-set there.
#pragma once

#include <functional>
#include <vector>

#include "search/pareto.h"
#include "search/scheduler.h"
#include "search/search_strategy.h"

namespace hybridnet::search {

class SuccessiveHalvingScheduler : public Scheduler {
 public:
  /// `full_budget` names trials that always train to the full budget (the analysis families'
  /// baselines: what is derived from them needs them finished); unset: none.
  SuccessiveHalvingScheduler(db::Store& store, int64_t study, double stale_seconds,
                             SearchStrategy strategy, std::vector<Objective> objectives,
                             std::function<bool(const db::TrialRecord&)> full_budget = {});
  /// Called when nothing is runnable, before promoting: registers new candidates if it can
  /// (a generation bred from the first rung's results) and says whether it did.
  void set_refill(std::function<bool()> refill) { refill_ = std::move(refill); }
  std::optional<Assignment> next(const std::string& worker) override;
  void completed(const Assignment&, TrialOutcome) override {}

  /// Promotes every stopped trial the rule lets go on now; returns how many this call did
  /// (another process may have promoted some of them first: those are not counted).
  int promote();

 private:
  db::Store& store_;
  int64_t study_;
  double stale_seconds_;
  SearchStrategy strategy_;
  std::vector<Objective> objectives_;
  std::function<bool(const db::TrialRecord&)> full_budget_;
  std::function<bool()> refill_;
};

/// The objectives promotion ranks a rung on: accuracy (measured at the rung) and those of
/// `objectives` that every one of `trials` knows before training (the cost model's energy,
/// memory, ...); measured ones (latency, top5) are left out.
std::vector<Objective> promotion_objectives(const std::vector<Objective>& objectives,
                                            const std::vector<db::TrialRecord>& trials);

}  // namespace hybridnet::search
