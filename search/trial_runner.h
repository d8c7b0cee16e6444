// Trains one sweep trial with LibTorch: its run spec from the stored record, a fresh attempt
// directory (resuming from the newest checkpoint), epochs and the final objectives recorded under
// the trial's lease, exit-threshold points scored, the outcome returned to the worker pool.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "db/store.h"
#include "models/dataset.h"
#include "search/progress.h"
#include "search/run_files.h"
#include "search/sweep_monitor.h"
#include "search/worker_pool.h"

namespace hybridnet::search {

/// The space's data, loaded once and shared read-only by every trial; a trial registered by an
/// earlier version of the space with other data options loads its own.
class SweepData {
 public:
  explicit SweepData(const models::DataOptions& options);
  const models::DataSplits& for_trial(const db::TrialRecord& t,
                                      std::optional<models::DataSplits>& own) const;

 private:
  models::DataOptions options_;
  models::DataSplits splits_;
};

struct TrialRunnerOptions {
  std::string study;   ///< the study's name (run directories)
  int threads = 1;     ///< intra-op threads per trial
  int lend_cores = 0;  ///< > 0: idle cores of these go to the running trials (see .cpp)
  std::function<int()> busy_elsewhere;  ///< other work of this process using cores (profiling)
  std::function<void(const db::TrialRecord&)> on_done;  ///< after a trial is recorded done
  /// Non-empty: the study has the latency objective; each finished network is timed with this
  /// hybridnet binary (search/latency.h) before it is recorded done.
  std::string latency_exe;
};

class SweepTrialRunner : public TrialRunner {
 public:
  SweepTrialRunner(db::Store& store, int64_t study, const RunFiles& files, const SweepData& data,
                   RunningTrials& running, Console& console, TrialRunnerOptions options);
  TrialOutcome run(const Assignment& a, const StopReason& stop) override;

 private:
  TrialOutcome train(const Assignment& a, const std::string& label, const StopReason& stop);
  TrialOutcome fail(const db::TrialRecord& t, const std::string& label, const std::string& reason);
  std::string init_run_dir(const std::string& init_key);

  db::Store& store_;
  int64_t study_;
  const RunFiles& files_;
  const SweepData& data_;
  RunningTrials& running_;
  Console& console_;
  TrialRunnerOptions o_;
};

/// Done trials without a measured latency (finished before the study asked for it): times
/// them with `hybridnet_exe` (search/latency.h) and records it.
void measure_missing_latency(db::Store& store, int64_t study, const std::string& study_name,
                             const RunFiles& files, const std::string& hybridnet_exe,
                             Console& console);

/// Finished networks with early exits whose settings now ask for thresholds they were not
/// scored at (a later space added them): scores those from the trained network, no retraining.
void score_missing_points(db::Store& store, int64_t study, const std::string& study_name,
                          const RunFiles& files, const SweepData& data, Console& console);

}  // namespace hybridnet::search
