// A worker of the store load test (tests/db/store_load.sh): leases simulated trials from a
// study and works them the way a sweep's worker does (claim; heartbeats from a thread of their
// own; an epoch row and a checkpoint per epoch; finish), with sleeps standing in for training. Its
// worker name claims another host, so that a killed worker's trials are found only by their stale
// heartbeats.
//   store_load_worker --db URL --setup N            a study "load" with N pending trials
//   store_load_worker --db URL --name W [--stale S] [--trial-ms T] [--epochs E]
// (trials last T ms on average, from T/2 to 3T/2)
// Prints, one line each: "claim TRIAL ATTEMPT UNIX_SECONDS" when it takes a trial, "finish
// TRIAL" when its finish was accepted, and at the end "summary W finished F lost L
// store_seconds X trial_seconds Y calls N idle_seconds Z idle_calls M outage_seconds O
// outage_calls P": X and N are the store calls a trial pays for (the claim that took it, its
// epochs, checkpoints and finish), Z and M those of a worker with nothing to do (claims that
// found nothing, looks at the study), O and P the calls of either kind that waited for the
// server (a call of 0.2 s or more: the PostgreSQL store's first reconnection is 0.2 s after a
// lost connection), which X, N, Z and M leave out.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "db/store.h"

using namespace hybridnet::db;
using Clock = std::chrono::steady_clock;

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string url = arg(argc, argv, "--db", "");
  if (url.empty()) {
    std::fprintf(stderr, "usage: %s --db URL (--setup N | --name W ...)\n", argv[0]);
    return 2;
  }
  try {
    auto store = open_store(url, OpenMode::kReadWrite);
    const int setup = std::atoi(arg(argc, argv, "--setup", "0").c_str());
    if (setup > 0) {
      const int64_t study = store->open_study("load", nlohmann::json::object());
      std::vector<NewTrial> trials(setup);
      for (int i = 0; i < setup; ++i) {
        trials[i].key = "trial-" + std::to_string(i);
        trials[i].family = "simulated";
        trials[i].params = {{"i", i}};
        trials[i].plan = trials[i].config = nlohmann::json::object();
      }
      store->add_trials(study, trials);
      return 0;
    }
    const std::string name = arg(argc, argv, "--name", "w") +
                             ".loadhost:" + std::to_string(::getpid()) + ":" +
                             std::to_string(long(unix_now()));
    const double stale = std::atof(arg(argc, argv, "--stale", "1").c_str());
    const int trial_ms = std::atoi(arg(argc, argv, "--trial-ms", "600").c_str());
    const int epochs = std::atoi(arg(argc, argv, "--epochs", "3").c_str());
    const auto beat = std::chrono::duration<double>(stale / 4);
    std::mt19937 rng(static_cast<unsigned>(::getpid()));
    std::uniform_real_distribution<double> length(0.5, 1.5);
    const int64_t study = store->open_study("load", nlohmann::json::object());
    double trial_seconds = 0;
    int finished = 0, lost = 0;
    // Every store call is timed, into the trial's account or the idle one: the share of a
    // trial's time spent talking to the store is what slows a sweep down; an idle worker's
    // polling costs it nothing (it has no trial to slow), so it is counted apart, and so is a
    // call that waited for the server in its restart (that measures the restart, not the store).
    struct Tally {
      double seconds = 0;
      int calls = 0;
    } in_trials, idle, outage;
    const auto add = [&outage](Tally& tally, Clock::time_point t0) {
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      Tally& to = s >= 0.2 ? outage : tally;
      to.seconds += s;
      ++to.calls;
    };
    auto timed = [&add](Tally& tally, auto&& call) {
      struct Add {
        decltype(add)& to;
        Tally& tally;
        Clock::time_point t0;
        ~Add() { to(tally, t0); }
      } added{add, tally, Clock::now()};
      return call();
    };
    for (;;) {
      const auto claim_start = Clock::now();
      const auto t = store->claim_trial(study, name, stale);
      add(t ? in_trials : idle, claim_start);
      if (!t) {
        // Nothing claimable: done when every trial is; else a stale one may come free.
        bool open = false;
        for (const auto& r : timed(idle, [&] { return store->trials(study); }))
          open = open || r.state != TrialState::kDone;
        if (!open) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      std::printf("claim %lld %d %.3f\n", static_cast<long long>(t->id), t->attempts, unix_now());
      std::fflush(stdout);
      const auto trial_start = Clock::now();
      const Lease lease = t->lease();
      // Trials of different lengths (0.5x to 1.5x --trial-ms), as a study's are: workers do
      // not finish in step, so someone is always about to look for work.
      const int epoch_ms = static_cast<int>(trial_ms * length(rng) / epochs);
      // Heartbeats from a thread of their own, as a sweep's monitor sends them: they keep the
      // lease without stopping the training (they are not counted as the trial's store time).
      std::atomic<bool> running{true}, lease_lost{false};
      std::thread heart([&] {
        while (running) {
          const auto next = Clock::now() + std::chrono::duration_cast<Clock::duration>(beat);
          while (running && Clock::now() < next)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          if (!running) break;
          try {
            store->heartbeat(lease, {{"beat", true}});
          } catch (const LeaseLost&) {
            lease_lost = true;
            break;
          } catch (const std::exception& e) {
            std::fprintf(stderr, "store_load_worker: heartbeat: %s\n", e.what());
          }
        }
      });
      try {
        const auto done_epochs = [&] { return store->epochs(t->id).size(); };
        const int first = t->attempts > 1 ? static_cast<int>(timed(in_trials, done_epochs)) : 0;
        for (int e = first + 1; e <= epochs; ++e) {
          std::this_thread::sleep_for(std::chrono::milliseconds(epoch_ms));  // training
          if (lease_lost) throw LeaseLost(lease);
          EpochRow row;
          row.epoch = e;
          row.test_accuracy = 0.5;
          timed(in_trials, [&] {
            store->add_epoch(lease, row);
            return 0;
          });
          timed(in_trials, [&] {
            store->put_checkpoint(lease, e, std::string(4096, char('a' + e)));
            return 0;
          });
        }
        timed(in_trials, [&] {
          store->finish_trial(lease, {{"accuracy", 0.5}});
          return 0;
        });
        std::printf("finish %lld\n", static_cast<long long>(t->id));
        std::fflush(stdout);
        ++finished;
      } catch (const LeaseLost&) {
        ++lost;  // taken over while this worker was slow (a server restart): drop it
      }
      running = false;
      heart.join();
      trial_seconds += std::chrono::duration<double>(Clock::now() - trial_start).count();
    }
    std::printf(
        "summary %s finished %d lost %d store_seconds %.4f trial_seconds %.4f calls %d "
        "idle_seconds %.4f idle_calls %d outage_seconds %.4f outage_calls %d\n",
        name.c_str(), finished, lost, in_trials.seconds, trial_seconds, in_trials.calls,
        idle.seconds, idle.calls, outage.seconds, outage.calls);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_load_worker: %s\n", e.what());
    return 1;
  }
}
