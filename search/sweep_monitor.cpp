#include "search/sweep_monitor.h"

#include <algorithm>
#include <chrono>

namespace hybridnet::search {

using Clock = std::chrono::steady_clock;

void RunningTrials::add(const db::TrialRecord& t) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_[t.id] = {t, TrialProgress{}};
}

void RunningTrials::remove(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_.erase(id);
  lost_.erase(id);
}

int RunningTrials::update(int64_t id, const TrialProgress& p) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = running_.find(id);
  if (lost_.count(id) && it != running_.end()) throw db::LeaseLost(it->second.first.lease());
  if (it != running_.end()) it->second.second = p;
  return static_cast<int>(running_.size());
}

void RunningTrials::mark_lost(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  lost_.insert(id);
}

std::vector<std::pair<db::TrialRecord, TrialProgress>> RunningTrials::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<db::TrialRecord, TrialProgress>> out;
  for (const auto& [id, r] : running_) out.push_back(r);
  return out;
}

SweepMonitor::SweepMonitor(db::Store& store, int64_t study, std::string study_name, int jobs,
                           double stale_seconds, RunningTrials& running, Console& console)
    : store_(store),
      study_(study),
      study_name_(std::move(study_name)),
      jobs_(jobs),
      stale_seconds_(stale_seconds),
      running_(running),
      console_(console),
      thread_([this] { loop(); }) {}

SweepMonitor::~SweepMonitor() {
  done_ = true;
  thread_.join();
}

void SweepMonitor::loop() {
  const auto heartbeat_every =
      std::chrono::duration<double>(std::clamp(stale_seconds_ / 4, 0.25, 5.0));
  auto last_heartbeat = Clock::now();
  int tick = 0;
  while (!done_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    ++tick;
    const bool beat = Clock::now() - last_heartbeat >= heartbeat_every;
    if (!beat && tick % 4) continue;
    const auto running = running_.snapshot();
    if (beat) {
      last_heartbeat = Clock::now();
      for (const auto& [t, p] : running) {
        try {
          store_.heartbeat(t.lease(), to_json(p));
        } catch (const db::LeaseLost&) {
          running_.mark_lost(t.id);  // the training thread stops this trial at its next step
        } catch (const std::exception& e) {
          console_.log(std::string("heartbeat: ") + e.what());
        }
      }
    }
    if (tick % 4 || !console_.live()) continue;
    std::vector<std::string> lines;
    for (const auto& [t, p] : running) lines.push_back(format_trial_line(t, p));
    try {
      lines.push_back(format_study_line(study_name_, study_status(store_.trials(study_), jobs_)));
    } catch (const std::exception&) {
    }
    console_.set_live(lines);
  }
}

}  // namespace hybridnet::search
