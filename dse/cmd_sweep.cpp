// `hybridnet sweep`: trains a search space's candidates into a study of a SQLite store, in
// parallel, resumably, then prints the study's Pareto front.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "dse/cli_validators.h"
#include "dse/exit_status.h"
#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "models/error.h"
#include "search/results.h"
#include "search/sweep.h"

namespace hybridnet::dse {

struct SweepCliOptions {
  std::string space;
  std::string db = "runs/hybridnet.sqlite";
  std::string runs;
  int jobs = 1;
  int threads = 0;
  std::string budget;
  int max_trials = 0;
  double stale_after = 120;
  bool retry_failed = false;
};

namespace {
volatile sig_atomic_t g_signalled = 0;

// First Ctrl-C: stop cleanly (running trials keep their last epoch checkpoint). Second: default.
void on_signal(int sig) {
  g_signalled = 1;
  search::request_stop();
  ::signal(sig, SIG_DFL);
}
}  // namespace

void run_sweep_command(const SweepCliOptions& o) {
  const auto space = search::load_space(o.space);  // every error before anything trains
  search::SweepOptions so;
  so.runs_dir = o.runs;
  so.jobs = o.jobs;
  so.threads = o.threads;
  so.budget_seconds = o.budget.empty() ? 0 : parse_duration(o.budget, "--budget");
  so.max_trials = o.max_trials;
  so.stale_seconds = o.stale_after;
  so.live = isatty(STDERR_FILENO);
  so.retry_failed = o.retry_failed;
  auto store = open_store(o.db, /*read_only=*/false);
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  const auto summary = search::run_sweep(space, *store, so);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);

  const auto trials = store->trials(summary.study_id);
  const auto front = search::pareto_trials(trials, space.objectives);
  std::string extra;
  if (summary.stopped_at_rung > 0)
    extra += ", " + std::to_string(summary.stopped_at_rung) + " stopped at a rung";
  if (summary.lost > 0)
    extra += ", " + std::to_string(summary.lost) + " taken over by another worker";
  std::fprintf(stderr, "this run: %d trial(s) started, %d done, %d failed, %d interrupted%s\n",
               summary.started, summary.done, summary.failed, summary.interrupted, extra.c_str());
  if (space.search.multi_fidelity())
    std::fprintf(stderr, "study %s: %lld of the %lld epochs an exhaustive sweep would train\n",
                 space.study.c_str(), (long long)summary.epochs_spent,
                 (long long)summary.epochs_exhaustive);
  std::printf("Pareto front of study %s (%s), %s:\n%s", space.study.c_str(),
              search::to_string(space.objectives).c_str(),
              search::front_count(front, trials.size(), "trials").c_str(),
              trial_table(front).c_str());
  if (summary.stopped)
    std::fprintf(stderr,
                 "stopped with work left: run the same command again to resume the study\n");
  if (summary.stopped && g_signalled) throw ExitStatus{kExitInterrupted};
  if (summary.failed_in_study > 0) {
    std::fprintf(stderr,
                 "study %s has %d failed trial(s): see `hybridnet trials --state failed`; once "
                 "the cause is fixed, --retry-failed runs them again\n",
                 space.study.c_str(), summary.failed_in_study);
    throw ExitStatus{kExitFailedTrials};
  }
}

void setup_sweep(CLI::App& app) {
  auto opt = std::make_shared<SweepCliOptions>();
  auto* sub = app.add_subcommand(
      "sweep",
      "Train every candidate of a search space into a study (resumable, parallel), then print "
      "its Pareto front");
  sub->add_option("--space", opt->space, "Search space JSON file (see examples/quickstart.json)")
      ->required();
  sub->add_option("--db", opt->db, kDbHelp)->capture_default_str();
  sub->add_option("--runs", opt->runs, kRunsHelp);
  sub->add_option("--jobs", opt->jobs, "Trials trained at once")
      ->check(at_least(1))
      ->capture_default_str();
  sub->add_option("--threads", opt->threads,
                  "Intra-op threads per trial (0 = cores / jobs, so jobs x threads <= cores, "
                  "and idle cores go to the running trials; set it to pin the count)")
      ->capture_default_str();
  sub->add_option("--budget", opt->budget,
                  "Wall-clock budget, e.g. 8h or 1h30m: then running trials are checkpointed "
                  "and interrupted");
  sub->add_option("--max-trials", opt->max_trials,
                  "Start at most N trials in this invocation (0 = no limit)")
      ->check(at_least(0))
      ->capture_default_str();
  sub->add_option("--stale-after", opt->stale_after,
                  "Seconds without heartbeat (on the store's clock) after which another "
                  "process's running trial is taken over; running trials heartbeat 4 times "
                  "per period, at most every 5 s (a dead process on this host is detected at "
                  "once). A process that stalled longer loses its trial and drops it")
      ->check(in_range(1.0, 1e9))
      ->capture_default_str();
  sub->add_flag("--retry-failed", opt->retry_failed,
                "Run the study's failed trials again, from their last checkpoint (after fixing "
                "what failed them: a full disk, say)");
  sub->footer(
      "Ctrl-C stops cleanly: running trials are marked interrupted and resume from their last\n"
      "epoch checkpoint when the same command runs again. Several sweeps may share one --db.\n"
      "Exit status: 0 all done (or stopped by --budget/--max-trials), 3 the study has failed\n"
      "trials, 130 stopped by a signal with work left, 1 an error.\n"
      "The families a space may use, with their parameters: hybridnet space --help.");
  sub->callback([opt] { run_sweep_command(*opt); });
}

}  // namespace hybridnet::dse
