// The sweep's workers: `jobs` loops on a TBB arena, each asking the scheduler for its next
// assignment and handing it to the trial runner, until nothing is left, a stop is requested or
// --max-trials is reached. Torch-free: the scheduler's tests run it with a fake runner.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "search/scheduler.h"

namespace hybridnet::search {

/// Why running trials should stop now ("stop requested", "budget reached"); empty: go on.
using StopReason = std::function<std::string()>;

/// Trains one assignment and records how it ended in the store.
class TrialRunner {
 public:
  virtual ~TrialRunner() = default;
  /// Runs `a` to its budget. Checks `stop` between steps and then records the trial as
  /// interrupted. Failures of the trial are recorded and returned as kFailed; a lost lease is
  /// kLost. Throws only when the store itself is unusable (StorageError): the pool then stops
  /// every worker and rethrows.
  virtual TrialOutcome run(const Assignment& a, const StopReason& stop) = 0;
};

/// What a worker does when the scheduler has nothing runnable.
enum class IdleAction {
  kRetry,   ///< new work appeared (e.g. a baseline's analysis families): ask again at once
  kWait,    ///< work may appear later (a baseline still training elsewhere): wait, then ask again
  kFinish,  ///< nothing left for this worker
};

struct WorkerPoolOptions {
  std::string worker;                     ///< this process in the store ("host:pid:start")
  int jobs = 1;                           ///< worker loops (>= 1: run_sweep and the CLI check it)
  int max_trials = 0;                     ///< assignments started by this pool (0: no limit)
  StopReason stop;                        ///< signals, the budget; unset: never
  std::function<IdleAction()> when_idle;  ///< unset: kFinish
  std::chrono::milliseconds idle_wait{2000};
};

struct PoolCounts {
  int started = 0, done = 0, failed = 0, interrupted = 0, lost = 0;
  int stopped = 0;  ///< trained to a rung (successive halving) and stopped there
  bool limit_hit = false;  ///< --max-trials stopped a worker that would have claimed more
};

/// Runs the workers until each finishes. The first exception (a StorageError from the runner or
/// the scheduler) stops the others at their next step and is rethrown after all have ended.
PoolCounts run_workers(Scheduler& scheduler, TrialRunner& runner, const WorkerPoolOptions& o);

}  // namespace hybridnet::search
