// Progress of a sweep: one line per running trial and one for the study, shared by the live
// terminal display of `hybridnet sweep` and by `hybridnet status` (which reads the same numbers
// from the store's heartbeat rows). On a terminal the block is redrawn in place; in a log file
// only plain event lines are written.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "db/store.h"

namespace hybridnet::search {

/// Live progress of one running trial (stored as the trial's progress_json).
struct TrialProgress {
  int epoch = 0, epochs = 0;
  int64_t step = 0, steps = 0;
  double loss = 0, accuracy = 0;
  double eta_seconds = -1;  ///< to the end of the trial, -1 unknown
  double images_per_second = 0;
};
nlohmann::json to_json(const TrialProgress& p);
TrialProgress progress_from_json(const nlohmann::json& j);

/// "45s", "3m20s", "2h05m"; "?" when negative.
std::string format_duration(double seconds);
/// "pca delta=1 kb=2", "fp", "partition R=0.2 gamma=auto"; an edge_cloud setting's thresholds are
/// left out (they score a network, they do not make it; a point's label names its own); a bred
/// per-layer individual is "per-layer gen=1 bits=1-2-1-4-1-1" (its genome)
std::string setting_label(const std::string& family, const nlohmann::json& params);
/// "  #3 pca delta=1 kb=2   epoch 2/3  step 10/47  loss 0.5312  acc 0.8125  ETA 1m20s"
std::string format_trial_line(const db::TrialRecord& t, const TrialProgress& p);

/// Counts and ETA of a study.
struct StudyStatus {
  int total = 0, pending = 0, running = 0, done = 0, failed = 0, interrupted = 0;
  int stopped = 0;  ///< successive halving: stopped at a rung, not (yet) promoted
  /// Epochs trained so far, and what training every trial to its full budget takes.
  int64_t epochs_spent = 0, epochs_exhaustive = 0;
  double mean_trial_seconds = -1;  ///< over finished trials, -1 before the first
  double eta_seconds = -1;         ///< remaining trials x mean / parallel workers
};
StudyStatus study_status(const std::vector<db::TrialRecord>& trials, int parallel);
/// "study quickstart: 4/9 done, 2 running, 0 failed, 3 to run, 14/27 epochs, ETA 6m10s"; with
/// trials stopped at rungs "..., 5 stopped at a rung, 31/81 epochs (38% of an exhaustive
/// sweep), ...".
std::string format_study_line(const std::string& study, const StudyStatus& s);

/// Writes event lines, and on a terminal keeps a redrawn block of live lines below them.
class Console {
 public:
  explicit Console(bool live) : live_(live) {}
  /// A permanent line (trial started, epoch finished, trial done).
  void log(const std::string& line);
  /// Replaces the live block (terminal only).
  void set_live(const std::vector<std::string>& lines);
  /// Clears the live block before the program prints its summary.
  void finish();
  bool live() const { return live_; }

 private:
  void clear_block();
  void draw_block();
  bool live_;
  std::mutex mutex_;
  std::vector<std::string> block_;
  size_t drawn_ = 0;
};

}  // namespace hybridnet::search
