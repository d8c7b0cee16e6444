#include "search/sweep.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <thread>

#include "analysis/profile.h"
#include "models/activation_capture.h"
#include "models/error.h"
#include "search/baseline_expander.h"
#include "search/latency.h"
#include "search/scheduler.h"
#include "search/successive_halving.h"
#include "search/sweep_monitor.h"
#include "search/trial_runner.h"
#include "search/worker_pool.h"

namespace hybridnet::search {

namespace {

std::atomic<bool> g_stop{false};

// Running trials of this store whose process on this host is gone go back to interrupted.
void release_dead_workers(db::Store& store, int64_t study, Console& console) {
  for (const auto& t : store.trials(study))
    if (t.state == db::TrialState::kRunning && worker_is_dead(t.worker) &&
        store.release_trial(t.id, t.worker))
      console.log("trial #" + std::to_string(t.id) + ": its process (" + t.worker +
                  ") is gone; it will resume from its last checkpoint");
}

}  // namespace

// The parts: the expander registers candidates (and analysis families once their baseline is
// profiled), the scheduler picks what runs next, the worker pool runs `jobs` trials at once
// through the trial runner, the monitor heartbeats them and draws the live lines.
SweepSummary run_sweep(const SearchSpace& space, db::Store& store, const SweepOptions& o) {
  if (o.jobs < 1) throw ConfigError("--jobs must be >= 1");
  const auto start = std::chrono::steady_clock::now();
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int threads = o.threads > 0 ? o.threads : std::max(1, cores / o.jobs);
  const bool lend = o.threads <= 0 && cores > 1;
  const std::string worker = this_worker();
  const RunFiles files = RunFiles::for_store(store, o.runs_dir);
  Console console(o.live);

  const int64_t study = store.open_study(space.study, space.raw);
  BaselineExpander expander(space, store, study, files, console, [&](const std::string& dir) {
    analysis::ProfileOptions po;
    po.capture.samples = space.analysis.samples;
    po.capture.plain = space.analysis.plain;
    po.capture.threads = threads;
    po.scaled_error = space.analysis.scaled_error;
    return analysis::profile_run(dir, space.data, po, models::capture_activations);
  });
  expander.register_candidates();
  if (o.retry_failed) {
    const int retried = store.retry_failed(study);
    console.log(std::to_string(retried) + " failed trial(s) will be retried from their last "
                "checkpoint");
  }
  release_dead_workers(store, study, console);
  const SweepData data(space.data);
  score_missing_points(store, study, space.study, files, data, console);
  // The latency objective times each finished network with this binary's `infer`.
  std::string latency_exe;
  for (const auto& obj : space.objectives)
    if (obj.name == "latency") latency_exe = own_executable();
  if (!latency_exe.empty())
    measure_missing_latency(store, study, space.study, files, latency_exe, console);
  console.log("sweep " + space.study + ": " + std::to_string(o.jobs) + " job(s) x " +
              std::to_string(threads) + " intra-op thread(s)" +
              (lend ? " (idle cores lent to running trials)" : "") + ", store " + store.location() +
              ", run files " + files.root());

  const auto budget_exceeded = [&] {
    return o.budget_seconds > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
               o.budget_seconds;
  };
  RunningTrials running;
  TrialRunnerOptions ro;
  ro.study = space.study;
  ro.threads = threads;
  ro.lend_cores = lend ? cores : 0;
  ro.latency_exe = latency_exe;
  ro.busy_elsewhere = [&] { return expander.profiling_now(); };
  ro.on_done = [&](const db::TrialRecord& t) {
    if (expander.is_baseline(t.key)) expander.expand(/*may_profile=*/true);
  };
  SweepTrialRunner runner(store, study, files, data, running, console, ro);
  GridScheduler grid(store, study, o.stale_seconds);
  // Successive halving trains the analysis families' baselines to the full budget: the
  // families derived from them are profiled from the finished network.
  SuccessiveHalvingScheduler halving(
      store, study, o.stale_seconds, space.search, space.objectives,
      [&](const db::TrialRecord& t) { return expander.is_baseline(t.key); });
  // Before promoting, new candidates: a generation bred from the first rung's results.
  halving.set_refill([&] {
    const size_t registered = expander.registered_count();
    expander.expand(/*may_profile=*/true);
    return expander.registered_count() > registered;
  });
  Scheduler& scheduler = space.search.multi_fidelity() ? static_cast<Scheduler&>(halving) : grid;

  WorkerPoolOptions po;
  po.worker = worker;
  po.jobs = o.jobs;
  po.max_trials = o.max_trials;
  po.stop = [&]() -> std::string {
    if (g_stop) return "stop requested";
    if (budget_exceeded()) return "budget reached";
    return {};
  };
  po.when_idle = [&] {
    release_dead_workers(store, study, console);
    const size_t before = expander.expanded_count(), registered = expander.registered_count();
    const bool settled = expander.expand(/*may_profile=*/true);
    if (expander.expanded_count() > before || expander.registered_count() > registered)
      return IdleAction::kRetry;  // new candidates: analysis families, a bred generation
    // Successive halving: a trial still training (here or elsewhere) may reach its rung and
    // promote others; a promotion possible now is work at once.
    if (space.search.multi_fidelity()) {
      if (halving.promote() > 0) return IdleAction::kRetry;
      for (const auto& t : store.trials(study))
        if (t.state == db::TrialState::kRunning) return IdleAction::kWait;
    }
    // A baseline still training (here or elsewhere): wait for it.
    return settled ? IdleAction::kFinish : IdleAction::kWait;
  };
  PoolCounts counts;
  std::exception_ptr error;
  {
    SweepMonitor monitor(store, study, space.study, o.jobs, o.stale_seconds, running, console);
    try {
      counts = run_workers(scheduler, runner, po);
    } catch (...) {
      error = std::current_exception();
    }
  }  // the monitor has stopped drawing: the live block can be cleared
  console.finish();
  if (error) std::rethrow_exception(error);

  SweepSummary s;
  s.study_id = study;
  s.started = counts.started;
  s.done = counts.done;
  s.failed = counts.failed;
  s.interrupted = counts.interrupted;
  s.lost = counts.lost;
  s.stopped_at_rung = counts.stopped;
  const auto status = study_status(store.trials(study), o.jobs);
  s.failed_in_study = status.failed;
  s.stopped = (g_stop || budget_exceeded() || counts.limit_hit) &&
              (status.pending + status.interrupted + status.running > 0);
  s.epochs_spent = status.epochs_spent;
  s.epochs_exhaustive = status.epochs_exhaustive;
  return s;
}

void request_stop() { g_stop = true; }
void reset_stop() { g_stop = false; }

namespace {
std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}
}  // namespace

std::string this_worker() {
  static const std::string id =
      host_name() + ":" + std::to_string(getpid()) + ":" +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  return id;
}

bool worker_is_dead(const std::string& worker) {
  const auto a = worker.find(':');
  const auto b = worker.find(':', a + 1);
  if (a == std::string::npos || b == std::string::npos) return false;
  if (worker.substr(0, a) != host_name()) return false;  // another machine: heartbeat decides
  const long pid = std::strtol(worker.substr(a + 1, b - a - 1).c_str(), nullptr, 10);
  if (pid <= 0) return false;
  if (worker == this_worker()) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace hybridnet::search
