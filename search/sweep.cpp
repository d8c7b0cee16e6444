#include "search/sweep.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <signal.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "analysis/profile_io.h"
#include "models/error.h"
#include "models/trainer.h"
#include "search/candidates.h"
#include "search/families.h"
#include "search/progress.h"
#include "search/results.h"
#include "search/run_files.h"
#include "search/trial_points.h"

namespace hybridnet::search {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<bool> g_stop{false};

// Thrown from the training callbacks to stop a trial between steps; its last epoch checkpoint
// stays in the run directory and the next sweep resumes from it.
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string profile_key(const std::string& baseline_key) { return "profile:" + baseline_key; }

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

class Sweep {
 public:
  Sweep(const SearchSpace& space, db::Store& store, const SweepOptions& o)
      : space_(space),
        store_(store),
        o_(o),
        files_(RunFiles::for_store(store, o.runs_dir)),
        console_(o.live),
        start_(Clock::now()) {
    cores_ = std::max(1u, std::thread::hardware_concurrency());
    if (o_.jobs < 1) throw ConfigError("--jobs must be >= 1");
    threads_ = o_.threads > 0 ? o_.threads : std::max(1, cores_ / o_.jobs);
    worker_ = this_worker();
  }

  SweepSummary run() {
    study_ = store_.open_study(space_.study, space_.raw);
    register_candidates();
    release_dead_workers();
    data_ = models::load_data(space_.data);  // once, shared read-only by every trial
    score_missing_points();
    console_.log("sweep " + space_.study + ": " + std::to_string(o_.jobs) + " job(s) x " +
                 std::to_string(threads_) + " intra-op thread(s)" +
                 (lends_cores() ? " (idle cores lent to running trials)" : "") + ", store " +
                 store_.location() + ", run files " + files_.root());
    std::thread monitor([this] { monitor_loop(); });
    std::exception_ptr error;
    try {
      tbb::task_arena arena(o_.jobs);
      arena.execute([&] {
        tbb::task_group group;
        for (int i = 0; i < o_.jobs; ++i) group.run([this] { worker_loop(); });
        group.wait();
      });
    } catch (...) {
      error = std::current_exception();
    }
    workers_done_ = true;
    monitor.join();
    console_.finish();
    if (error) std::rethrow_exception(error);

    SweepSummary s;
    s.study_id = study_;
    s.started = started_;
    s.done = done_;
    s.failed = failed_;
    s.interrupted = interrupted_;
    s.lost = lost_;
    const auto status = study_status(store_.trials(study_), o_.jobs);
    s.stopped = (g_stop || budget_exceeded() || limit_hit_) &&
                (status.pending + status.interrupted + status.running > 0);
    return s;
  }

 private:
  void register_candidates() {
    const auto plain = plain_candidates(space_);
    for (const auto& c : plain)
      if (c.priority == kBaselinePriority) baselines_.push_back(c);
    const int added = add_candidates(plain);
    console_.log("study " + space_.study + ": " + std::to_string(added) +
                 " new candidate(s) registered" +
                 (space_.needs_profile() ? " (analysis families follow their XNOR baseline)" : ""));
    expand_baselines(/*may_profile=*/false);
  }

  int add_candidates(const std::vector<Candidate>& candidates) {
    const Distinct d = deduplicate(candidates);
    int added = 0;
    for (size_t i = 0; i < d.candidates.size(); ++i) {
      db::NewTrial t = to_new_trial(d.candidates[i]);
      for (const auto& s : d.settings[i]) {
        t.family = s.family;
        t.params = s.params;
        added += store_.add_trial(study_, t).second ? 1 : 0;
      }
    }
    return added;
  }

  // Expands the analysis families of every baseline that is trained and profiled; profiles a
  // trained baseline first when allowed. True when every baseline is settled (expanded, or
  // failed so that its families cannot be).
  bool expand_baselines(bool may_profile) {
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
        profile_baseline(*trial);
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

  void profile_baseline(const db::TrialRecord& t) {
    analysis::ProfileOptions po;
    po.capture.samples = space_.analysis.samples;
    po.capture.plain = space_.analysis.plain;
    po.capture.threads = threads_;
    po.scaled_error = space_.analysis.scaled_error;
    const std::string dir = files_.finished_run(space_.study, t);
    console_.log("profiling baseline #" + std::to_string(t.id) + " on " +
                 std::to_string(po.capture.samples) + " images");
    const auto t0 = Clock::now();
    const auto profile = analysis::profile_run(dir, space_.data, po);
    store_.put_artifact(study_, profile_key(t.key), analysis::profile_to_json(profile));
    console_.log("profiled baseline #" + std::to_string(t.id) + " in " +
                 format_duration(std::chrono::duration<double>(Clock::now() - t0).count()));
  }

  // The data a trial trains and is scored on: the space's, or its own when it was registered
  // by an earlier version of the space with other data options.
  const models::DataSplits& trial_data(const db::TrialRecord& t,
                                       std::optional<models::DataSplits>& own) const {
    const auto options = t.config.at("data").get<models::DataOptions>();
    if (json(options) == json(space_.data)) return *data_;
    own = models::load_data(options);
    return *own;
  }

  // Finished networks with early exits whose settings now ask for thresholds they were not
  // scored at (a later space added them): score those from the trained network, no retraining.
  void score_missing_points() {
    for (const auto& t : store_.trials(study_)) {
      if (t.state != db::TrialState::kDone) continue;
      const auto grid = missing_thresholds(t);
      if (grid.empty()) continue;
      const std::string dir = files_.finished_run(space_.study, t);
      try {
        std::optional<models::DataSplits> own;
        const auto added = store_.add_points(
            t.id,
            score_points(dir, trial_data(t, own), t.config.value("energy_table", "10nm"), grid));
        console_.log("trial #" + std::to_string(t.id) + ": scored at " + std::to_string(added) +
                     " new exit threshold(s)");
      } catch (const StorageError&) {
        throw;
      } catch (const std::exception& e) {
        console_.log("trial #" + std::to_string(t.id) + ": cannot score new exit thresholds (" +
                     first_line(e.what()) + ")");
      }
    }
  }

  void release_dead_workers() {
    for (const auto& t : store_.trials(study_))
      if (t.state == db::TrialState::kRunning && worker_is_dead(t.worker) &&
          store_.release_trial(t.id, t.worker))
        console_.log("trial #" + std::to_string(t.id) + ": its process (" + t.worker +
                     ") is gone; it will resume from its last checkpoint");
  }

  bool budget_exceeded() const {
    return o_.budget_seconds > 0 &&
           std::chrono::duration<double>(Clock::now() - start_).count() > o_.budget_seconds;
  }
  bool should_stop() const { return g_stop || budget_exceeded(); }

  // With --threads left to us, cores that no trial of this process uses (a worker that found
  // no work left, or waits for a baseline) go to the running trials, so that the last trial of
  // a sweep does not train on one core while the other idles. Rechecked at every step; jobs x
  // threads still never exceeds the cores.
  bool lends_cores() const { return o_.threads <= 0 && cores_ > 1; }
  void lend_idle_cores(int running) const {
    const int want = std::max(threads_, cores_ / std::max(1, running));
    // LibTorch's OpenMP thread count is per calling thread: this trial's only.
    if (at::get_num_threads() != want) models::set_intra_op_threads(want);
  }

  void worker_loop() {
    while (!should_stop()) {
      if (o_.max_trials > 0 && reserved_.fetch_add(1) >= o_.max_trials) {
        limit_hit_ = true;
        return;
      }
      auto t = store_.claim_trial(study_, worker_, o_.stale_seconds);
      if (t) {
        ++started_;
        run_trial(*t);
        continue;
      }
      if (o_.max_trials > 0) --reserved_;
      release_dead_workers();
      const size_t before = expanded_count();
      const bool settled = expand_baselines(/*may_profile=*/true);
      if (expanded_count() > before) continue;  // new candidates to claim
      if (settled) return;
      // A baseline is still training (here or elsewhere): wait for it.
      for (int i = 0; i < 20 && !should_stop(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  size_t expanded_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return expanded_.size();
  }

  void run_trial(const db::TrialRecord& t) {
    const std::string label = "#" + std::to_string(t.id) + " " + setting_label(t.family, t.params);
    console_.log("start " + label +
                 (t.attempts > 1 ? "  (attempt " + std::to_string(t.attempts) +
                                       ", resumes from its checkpoint)"
                                 : ""));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_[t.id] = {t, TrialProgress{}};
    }
    try {
      try {
        train_trial(t, label);
      } catch (const Interrupted& e) {
        store_.interrupt_trial(t.lease());
        ++interrupted_;
        console_.log("interrupted " + label + " (" + e.what() + ")");
      }
    } catch (const db::LeaseLost&) {
      // Another worker holds the trial now (this process stalled past --stale-after): leave it
      // to them, write nothing more about it, go on with the next.
      ++lost_;
      console_.log("dropped " + label + ": another worker took it over (attempt " +
                   std::to_string(t.attempts) + " of this process had stalled)");
    } catch (const StorageError&) {
      g_stop = true;  // the store is unusable: stop every worker
      forget(t.id);
      throw;
    } catch (const c10::Error& e) {
      fail(t, label, "LibTorch: " + first_line(e.what_without_backtrace()));
    } catch (const std::bad_alloc&) {
      fail(t, label, "out of memory");
    } catch (const std::exception& e) {
      fail(t, label, first_line(e.what()));
    }
    forget(t.id);
  }

  void fail(const db::TrialRecord& t, const std::string& label, const std::string& reason) {
    try {
      store_.fail_trial(t.lease(), reason);
    } catch (const db::LeaseLost&) {
      ++lost_;
      console_.log("dropped " + label + " (" + reason + "): another worker took it over");
      return;
    }
    ++failed_;
    console_.log("failed " + label + ": " + reason);
  }

  void forget(int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(id);
    lost_leases_.erase(id);
  }


  // The run directory of the finished trial a warm-started trial starts from (its baseline).
  std::string init_run_dir(const db::TrialRecord& t) {
    const auto trials = store_.trials(study_);
    const db::TrialRecord* baseline = trial_with_key(trials, t.config.at("init").at("key"));
    if (!baseline) throw TrainingError("the trial it starts from is not in study " + space_.study);
    if (baseline->state != db::TrialState::kDone)
      throw TrainingError("its baseline #" + std::to_string(baseline->id) + " is not done");
    return files_.finished_run(space_.study, *baseline);
  }

  void train_trial(const db::TrialRecord& t, const std::string& label) {
    const std::string where = "trial #" + std::to_string(t.id);
    const auto plan = models::HybridPlan::from_json(t.plan, where);
    auto train = models::train_config_from_record(t.config.at("train"));
    train.threads = threads_;
    const auto data_options = t.config.at("data").get<models::DataOptions>();
    std::optional<models::DataSplits> own;
    const models::DataSplits& data = trial_data(t, own);
    auto spec = models::make_run_spec(plan, data_options, data, train);
    if (t.config.contains("exit_training"))
      spec.exit_training = t.config.at("exit_training").get<models::ExitTraining>();
    if (t.config.contains("init")) spec.init_from = init_run_dir(t);
    const std::string dir = files_.begin_attempt(space_.study, t);
    const db::Lease lease = t.lease();
    const int epochs =
        models::total_epochs(train, spec.exit_training, static_cast<int>(plan.exits.size()));

    models::TrainCallbacks cb;
    cb.step = [&](const models::TrainProgress& p) {
      if (g_stop) throw Interrupted("stop requested");
      if (budget_exceeded()) throw Interrupted("budget reached");
      TrialProgress tp;
      tp.epoch = p.epoch;
      tp.epochs = p.epochs;
      tp.step = p.step;
      tp.steps = p.steps;
      tp.loss = p.loss;
      tp.accuracy = p.accuracy;
      const double per_step = p.elapsed_seconds / std::max<int64_t>(1, p.step);
      tp.eta_seconds = per_step * double((p.steps - p.step) + (p.epochs - p.epoch) * p.steps);
      tp.images_per_second = p.step * train.batch_size / std::max(1e-9, p.elapsed_seconds);
      int running = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        // A lease the heartbeat found lost: stop here (under the lock the step takes anyway).
        if (lost_leases_.count(t.id)) throw db::LeaseLost(lease);
        running_[t.id].second = tp;
        running = static_cast<int>(running_.size() + profiling_.size());
      }
      if (lends_cores()) lend_idle_cores(running);
    };
    cb.epoch = [&](const models::EpochRecord& e) {
      store_.add_epoch(lease, {e.epoch, e.lr, e.train_loss, e.train_accuracy, e.val_accuracy,
                               e.test_accuracy, e.test_top5, e.seconds});
      if (!console_.live())
        console_.log("  " + label + " epoch " + std::to_string(e.epoch) + "/" +
                     std::to_string(epochs) + ": loss " + std::to_string(e.train_loss) +
                     ", test acc " + std::to_string(e.test_accuracy));
    };
    const auto result = models::train_run(spec, data, dir, cb);
    double seconds = 0;
    for (const auto& e : result.history) seconds += e.seconds;
    // A network with early exits is scored at every threshold its settings ask for, in the
    // same transaction that finishes it.
    const auto points =
        score_points(dir, data, t.config.value("energy_table", "10nm"), requested_thresholds(t));
    store_.finish_trial(
        lease,
        {{"accuracy", result.test.top1}, {"top5", result.test.top5}, {"train_seconds", seconds}},
        points);
    files_.prune_earlier_attempts(space_.study, t);
    ++done_;
    char buf[96];
    std::snprintf(buf, sizeof buf, ": test accuracy %.4f (%s training)", result.test.top1,
                  format_duration(seconds).c_str());
    console_.log(
        "done  " + label + buf +
        (points.empty() ? "" : ", " + std::to_string(points.size()) + " exit-threshold point(s)"));
    for (const auto& b : baselines_)
      if (b.key() == t.key) expand_baselines(/*may_profile=*/true);
  }

  // Heartbeats (so that other processes see these trials alive) four times per staleness
  // limit, at most every 5 s; on a terminal, the live block every second.
  void monitor_loop() {
    const auto heartbeat_every =
        std::chrono::duration<double>(std::clamp(o_.stale_seconds / 4, 0.25, 5.0));
    auto last_heartbeat = Clock::now();
    int tick = 0;
    while (!workers_done_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      ++tick;
      const bool beat = Clock::now() - last_heartbeat >= heartbeat_every;
      if (!beat && tick % 4) continue;
      std::vector<std::pair<db::TrialRecord, TrialProgress>> running;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [id, r] : running_) running.push_back(r);
      }
      if (beat) {
        last_heartbeat = Clock::now();
        for (const auto& [t, p] : running) {
          try {
            store_.heartbeat(t.lease(), to_json(p));
          } catch (const db::LeaseLost&) {
            // The training thread stops this trial at its next step.
            std::lock_guard<std::mutex> lock(mutex_);
            lost_leases_.insert(t.id);
          } catch (const std::exception& e) {
            console_.log(std::string("heartbeat: ") + e.what());
          }
        }
      }
      if (tick % 4) continue;
      if (console_.live()) {
        std::vector<std::string> lines;
        for (const auto& [t, p] : running) lines.push_back(format_trial_line(t, p));
        try {
          lines.push_back(
              format_study_line(space_.study, study_status(store_.trials(study_), o_.jobs)));
        } catch (const std::exception&) {
        }
        console_.set_live(lines);
      }
    }
  }

  const SearchSpace& space_;
  db::Store& store_;
  SweepOptions o_;
  RunFiles files_;
  Console console_;
  Clock::time_point start_;
  int cores_ = 1;
  int threads_ = 1;
  std::string worker_;
  int64_t study_ = 0;
  std::optional<models::DataSplits> data_;
  std::vector<Candidate> baselines_;
  std::mutex mutex_;  // guards running_, expanded_, profiling_, lost_leases_
  std::map<int64_t, std::pair<db::TrialRecord, TrialProgress>> running_;
  std::set<std::string> expanded_, profiling_;
  std::set<int64_t> lost_leases_;  // running trials whose heartbeat found the lease lost
  std::atomic<int> started_{0}, done_{0}, failed_{0}, interrupted_{0}, lost_{0}, reserved_{0};
  std::atomic<bool> limit_hit_{false}, workers_done_{false};
};

}  // namespace

SweepSummary run_sweep(const SearchSpace& space, db::Store& store, const SweepOptions& options) {
  return Sweep(space, store, options).run();
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
