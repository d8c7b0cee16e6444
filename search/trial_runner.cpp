#include "search/trial_runner.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "models/error.h"
#include "models/message_line.h"
#include "models/trainer.h"
#include "search/latency.h"
#include "search/results.h"
#include "search/trial_config.h"
#include "search/trial_points.h"

namespace hybridnet::search {

using nlohmann::json;

namespace {

// Thrown from the training callbacks to stop a trial between steps; its last epoch checkpoint
// stays in the run directory and the next sweep resumes from it.
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string first_line(const std::string& s) { return message_line(s.substr(0, s.find('\n'))); }

}  // namespace

SweepData::SweepData(const models::DataOptions& options)
    : options_(options), splits_(models::load_data(options)) {}

const models::DataSplits& SweepData::for_trial(const db::TrialRecord& t,
                                               std::optional<models::DataSplits>& own) const {
  const auto options = trial_config(t).data;
  if (json(options) == json(options_)) return splits_;
  own = models::load_data(options);
  return *own;
}

SweepTrialRunner::SweepTrialRunner(db::Store& store, int64_t study, const RunFiles& files,
                                   const SweepData& data, RunningTrials& running, Console& console,
                                   TrialRunnerOptions options)
    : store_(store),
      study_(study),
      files_(files),
      data_(data),
      running_(running),
      console_(console),
      o_(std::move(options)) {}

TrialOutcome SweepTrialRunner::run(const Assignment& a, const StopReason& stop) {
  const db::TrialRecord& t = a.trial;
  const std::string label = "#" + std::to_string(t.id) + " " + setting_label(t.family, t.params);
  console_.log("start " + label +
               (t.attempts > 1
                    ? "  (attempt " + std::to_string(t.attempts) + ", resumes from its checkpoint)"
                    : ""));
  running_.add(t);
  struct Forget {
    RunningTrials& r;
    int64_t id;
    ~Forget() { r.remove(id); }
  } forget{running_, t.id};
  try {
    try {
      return train(a, label, stop);
    } catch (const Interrupted& e) {
      store_.interrupt_trial(t.lease());
      console_.log("interrupted " + label + " (" + e.what() + ")");
      return TrialOutcome::kInterrupted;
    }
  } catch (const db::LeaseLost&) {
    // Another worker holds the trial now (this process stalled past --stale-after): leave it
    // to them, write nothing more about it, go on with the next.
    console_.log("dropped " + label + ": another worker took it over (attempt " +
                 std::to_string(t.attempts) + " of this process had stalled)");
    return TrialOutcome::kLost;
  } catch (const StorageError&) {
    throw;  // the store is unusable: the pool stops every worker
  } catch (const c10::Error& e) {
    return fail(t, label, "LibTorch: " + first_line(e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    return fail(t, label, "out of memory");
  } catch (const std::exception& e) {
    return fail(t, label, first_line(e.what()));
  }
}

TrialOutcome SweepTrialRunner::fail(const db::TrialRecord& t, const std::string& label,
                                    const std::string& reason) {
  try {
    store_.fail_trial(t.lease(), reason);
  } catch (const db::LeaseLost&) {
    console_.log("dropped " + label + " (" + reason + "): another worker took it over");
    return TrialOutcome::kLost;
  }
  console_.log("failed " + label + ": " + reason);
  return TrialOutcome::kFailed;
}

// The run directory of the finished trial a warm-started trial starts from (its baseline).
std::string SweepTrialRunner::init_run_dir(const std::string& init_key) {
  const auto trials = store_.trials(study_);
  const db::TrialRecord* baseline = trial_with_key(trials, init_key);
  if (!baseline) throw TrainingError("the trial it starts from is not in study " + o_.study);
  if (baseline->state != db::TrialState::kDone)
    throw TrainingError("its baseline #" + std::to_string(baseline->id) + " is not done");
  return files_.finished_run(o_.study, *baseline);
}

TrialOutcome SweepTrialRunner::train(const Assignment& a, const std::string& label,
                                     const StopReason& stop) {
  const db::TrialRecord& t = a.trial;
  const std::string where = "trial #" + std::to_string(t.id);
  const auto plan = models::HybridPlan::from_json(t.plan, where);
  TrialConfig config = trial_config(t);
  models::TrainConfig& train = config.train;
  train.threads = o_.threads;
  std::optional<models::DataSplits> own;
  const models::DataSplits& data = data_.for_trial(t, own);
  auto spec = models::make_run_spec(plan, config.data, data, train);
  if (config.exit_training) spec.exit_training = *config.exit_training;
  if (!config.init_key.empty()) spec.init_from = init_run_dir(config.init_key);
  const std::string dir = files_.begin_attempt(o_.study, t);
  const db::Lease lease = t.lease();
  const int epochs =
      models::total_epochs(train, spec.exit_training, static_cast<int>(plan.exits.size()));

  models::TrainCallbacks cb;
  cb.step = [&](const models::TrainProgress& p) {
    const std::string reason = stop();
    if (!reason.empty()) throw Interrupted(reason);
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
    // Throws LeaseLost when a heartbeat found the lease lost: the trial stops at this step.
    const int running = running_.update(t.id, tp) + (o_.busy_elsewhere ? o_.busy_elsewhere() : 0);
    // With --threads left to us, cores that no trial of this process uses (a worker that found
    // no work left, or waits for a baseline) go to the running trials, so that the last trial
    // of a sweep does not train on one core while the other idles. Rechecked at every step;
    // jobs x threads still never exceeds the cores.
    if (o_.lend_cores > 0) {
      const int want = std::max(o_.threads, o_.lend_cores / std::max(1, running));
      // LibTorch's OpenMP thread count is per calling thread: this trial's only.
      if (at::get_num_threads() != want) models::set_intra_op_threads(want);
    }
  };
  cb.epoch = [&](const models::EpochRecord& e) {
    store_.add_epoch(lease, {e.epoch, e.lr, e.train_loss, e.train_accuracy, e.val_accuracy,
                             e.test_accuracy, e.test_top5, e.seconds});
    files_.save_to_store(lease, dir);  // a server store: resumable on any machine
    if (!console_.live())
      console_.log("  " + label + " epoch " + std::to_string(e.epoch) + "/" +
                   std::to_string(epochs) + ": loss " + std::to_string(e.train_loss) +
                   (e.val_accuracy >= 0 ? ", val acc " + std::to_string(e.val_accuracy) : "") +
                   (e.test_accuracy >= 0 ? ", test acc " + std::to_string(e.test_accuracy) : ""));
  };
  // A rung of successive halving trains up to its epochs with the full run's schedule.
  const auto result = models::train_run(spec, data, dir, cb, a.epochs);
  double seconds = 0;
  for (const auto& e : result.history) seconds += e.seconds;
  if (!result.complete) {
    // Stopped at the rung: its accuracy there (validation, else test) is what promotion
    // ranks; the checkpoint stays for the promotion to continue from.
    const int reached = result.history.empty() ? 0 : result.history.back().epoch;
    const double accuracy = !result.history.empty() && result.history.back().val_accuracy >= 0
                                ? result.history.back().val_accuracy
                                : result.test.top1;
    store_.stop_at_rung(lease, reached, accuracy);
    files_.prune_earlier_attempts(o_.study, t);
    char buf[96];
    std::snprintf(buf, sizeof buf, ": accuracy %.4f after %d epoch(s)", accuracy, reached);
    console_.log("rung " + std::to_string(t.rung) + " " + label + buf);
    return TrialOutcome::kStopped;
  }
  // Chosen on validation, reported on test: with a split, "accuracy" (the front's) is the
  // last epoch's validation accuracy and the test accuracy stands beside it.
  const double val = result.history.empty() ? -1 : result.history.back().val_accuracy;
  // A network with early exits is scored at every threshold its settings ask for, in the same
  // transaction that finishes it.
  const auto points = score_points(dir, data, trial_energy_table(t), requested_thresholds(t));
  std::map<std::string, double> objectives = {{"accuracy", val >= 0 ? val : result.test.top1},
                                              {"test_accuracy", result.test.top1},
                                              {"top5", result.test.top5},
                                              {"train_seconds", seconds}};
  if (val >= 0) objectives["val_accuracy"] = val;
  if (!o_.latency_exe.empty()) {
    // The trial's cores are free now that it trained: the timing child runs on them.
    try {
      objectives["latency_ms"] = measure_latency_ms(o_.latency_exe, dir);
    } catch (const std::exception& e) {
      console_.log("warning: " + label + ": " + e.what() + " (recorded without a latency)");
    }
  }
  files_.save_to_store(lease, dir);  // the finished network (metrics.json now beside it)
  store_.finish_trial(lease, objectives, points);
  files_.prune_earlier_attempts(o_.study, t);
  char buf[96];
  std::snprintf(buf, sizeof buf, ": test accuracy %.4f (%s training)", result.test.top1,
                format_duration(seconds).c_str());
  console_.log(
      "done  " + label + buf +
      (points.empty() ? "" : ", " + std::to_string(points.size()) + " exit-threshold point(s)"));
  if (o_.on_done) o_.on_done(t);
  return TrialOutcome::kDone;
}

void measure_missing_latency(db::Store& store, int64_t study, const std::string& study_name,
                             const RunFiles& files, const std::string& hybridnet_exe,
                             Console& console) {
  for (const auto& t : store.trials(study)) {
    if (t.state != db::TrialState::kDone || t.objectives.count("latency_ms")) continue;
    try {
      const double ms = measure_latency_ms(hybridnet_exe, files.finished_run(study_name, t));
      store.add_measurements(t.id, {{"latency_ms", ms}});
      console.log("timed trial #" + std::to_string(t.id) + ": " + std::to_string(ms) +
                  " ms at batch 1");
    } catch (const std::exception& e) {
      console.log("warning: trial #" + std::to_string(t.id) + ": " + e.what());
    }
  }
}

void score_missing_points(db::Store& store, int64_t study, const std::string& study_name,
                          const RunFiles& files, const SweepData& data, Console& console) {
  for (const auto& t : store.trials(study)) {
    if (t.state != db::TrialState::kDone) continue;
    const auto grid = missing_thresholds(t);
    if (grid.empty()) continue;
    const std::string dir = files.finished_run(study_name, t);
    try {
      std::optional<models::DataSplits> own;
      const auto added = store.add_points(
          t.id, score_points(dir, data.for_trial(t, own), trial_energy_table(t), grid));
      console.log("trial #" + std::to_string(t.id) + ": scored at " + std::to_string(added) +
                  " new exit threshold(s)");
    } catch (const StorageError&) {
      throw;
    } catch (const std::exception& e) {
      console.log("trial #" + std::to_string(t.id) + ": cannot score new exit thresholds (" +
                  first_line(e.what()) + ")");
    }
  }
}

}  // namespace hybridnet::search
