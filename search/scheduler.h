// What a sweep runs next. A Scheduler hands each worker its next assignment (a trial leased in
// the store and how far to train it) and hears how each ended; WorkerPool (search/worker_pool.h)
// runs the assignments. GridScheduler is today's exhaustive order: every candidate once, to its
// full budget, highest priority first. A multi-fidelity scheduler (successive halving) is another
// implementation of the same interface: it would hand out partial budgets and promote.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db/store.h"

namespace hybridnet::search {

/// One unit of work: a trial this worker holds the lease of, trained up to `epochs`.
struct Assignment {
  db::TrialRecord trial;
  int epochs = 0;  ///< train up to this epoch; 0 = the trial's full budget
};

/// How an assignment ended (the runner has already recorded it in the store, except kLost).
enum class TrialOutcome {
  kDone,         ///< trained to the assignment's budget and recorded
  kFailed,       ///< failed and recorded as failed (not retried)
  kInterrupted,  ///< stopped (signal, budget) and recorded: resumes from its last checkpoint
  kStopped,      ///< trained to its rung (successive halving) and recorded there
  kLost,         ///< another worker took the trial over; nothing more was written
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  /// The next assignment for `worker`, its trial already claimed in the store; nullopt when
  /// nothing is runnable now (more may become runnable later: see WorkerPool's idle hook).
  virtual std::optional<Assignment> next(const std::string& worker) = 0;
  /// How an assignment ended (a multi-fidelity scheduler promotes or stops trials here).
  virtual void completed(const Assignment& assignment, TrialOutcome outcome) = 0;
};

/// Every trial of a study once, to its full budget, in the store's claim order (priority, then
/// age); interrupted and stale trials are claimed again and resume.
class GridScheduler : public Scheduler {
 public:
  GridScheduler(db::Store& store, int64_t study, double stale_seconds)
      : store_(store), study_(study), stale_seconds_(stale_seconds) {}
  std::optional<Assignment> next(const std::string& worker) override;
  void completed(const Assignment&, TrialOutcome) override {}

 private:
  db::Store& store_;
  int64_t study_;
  double stale_seconds_;
};

}  // namespace hybridnet::search
