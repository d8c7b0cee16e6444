// The sweep: registers a space's candidates in the store and trains them, `jobs` at a time on an
// Intel TBB arena, with LibTorch's intra-op threads divided so that jobs x threads <= cores.
// Resumable: done trials are skipped, interrupted and stale ones resume from their last epoch
// checkpoint, and several processes on one store share the work through atomic claims. A
// trial whose lease is lost (this process stalled past the staleness limit and another took
// the trial over) is dropped with one line; the sweep goes on.
#pragma once

#include <cstdint>
#include <string>

#include "db/store.h"
#include "search/space.h"

namespace hybridnet::search {

struct SweepOptions {
  std::string runs_dir;     ///< run-files root (--runs); empty: the store's default
  int jobs = 1;             ///< trials trained at once
  int threads = 0;          ///< intra-op threads per trial (0: cores / jobs, at least 1)
  double budget_seconds = 0;   ///< wall-clock budget of this invocation (0: none)
  int max_trials = 0;          ///< trials this invocation starts (0: no limit)
  double stale_seconds = 120;  ///< a running trial without heartbeat this long is taken over
  bool live = false;           ///< redraw live progress lines (a terminal)
  bool retry_failed = false;   ///< failed trials run again (from their last checkpoint)
};

struct SweepSummary {
  int started = 0, done = 0, failed = 0, interrupted = 0;
  int lost = 0;  ///< dropped because another worker took them over (a stalled lease)
  int stopped_at_rung = 0;  ///< successive halving: trainings that ended at a rung
  bool stopped = false;  ///< by a signal, the budget or --max-trials, with work left
  int failed_in_study = 0;  ///< failed trials of the study at the end (this run's and earlier)
  /// Epochs the study's trials have trained, and what training all of them to the full budget
  /// would take (successive halving spends a fraction).
  int64_t epochs_spent = 0, epochs_exhaustive = 0;
  int64_t study_id = 0;
};

/// Runs the sweep until the study has nothing left to run, or until stopped.
SweepSummary run_sweep(const SearchSpace& space, db::Store& store, const SweepOptions& options);

/// Asks a running sweep to stop: running trials are interrupted (their last epoch checkpoint
/// stays) and no new ones start. Async-signal-safe: call it from a SIGINT/SIGTERM handler.
void request_stop();
/// Clears a previous request_stop (tests run several sweeps in one process).
void reset_stop();

/// "host:pid:start-time" naming this process in the store's worker column.
std::string this_worker();
/// True when `worker` names a process of this host that no longer exists.
bool worker_is_dead(const std::string& worker);

}  // namespace hybridnet::search
