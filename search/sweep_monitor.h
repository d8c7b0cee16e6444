// The trials a sweep process is running, and the monitor thread that keeps them alive in the
// store (heartbeats) and draws their live lines on a terminal.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "db/store.h"
#include "search/progress.h"

namespace hybridnet::search {

/// Thread-safe registry of this process's running trials and their live progress.
class RunningTrials {
 public:
  void add(const db::TrialRecord& t);
  void remove(int64_t id);
  /// Records trial `id`'s progress and returns how many trials this process runs now. Throws
  /// db::LeaseLost when a heartbeat found its lease lost: the training stops at this step.
  int update(int64_t id, const TrialProgress& p);
  /// A heartbeat found the lease of trial `id` lost.
  void mark_lost(int64_t id);
  std::vector<std::pair<db::TrialRecord, TrialProgress>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<int64_t, std::pair<db::TrialRecord, TrialProgress>> running_;
  std::set<int64_t> lost_;
};

/// Heartbeats the running trials four times per staleness limit (at most every 5 s) and, on a
/// terminal, redraws their live lines and the study's line every second. Stops on destruction.
class SweepMonitor {
 public:
  SweepMonitor(db::Store& store, int64_t study, std::string study_name, int jobs,
               double stale_seconds, RunningTrials& running, Console& console);
  ~SweepMonitor();
  SweepMonitor(const SweepMonitor&) = delete;
  SweepMonitor& operator=(const SweepMonitor&) = delete;

 private:
  void loop();
  db::Store& store_;
  int64_t study_;
  std::string study_name_;
  int jobs_;
  double stale_seconds_;
  RunningTrials& running_;
  Console& console_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace hybridnet::search
