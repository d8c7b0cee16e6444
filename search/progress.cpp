#include "search/progress.h"

#include <cstdio>
#include <sstream>

#include "search/trial_config.h"

namespace hybridnet::search {

using nlohmann::json;

json to_json(const TrialProgress& p) {
  return {{"epoch", p.epoch},
          {"epochs", p.epochs},
          {"step", p.step},
          {"steps", p.steps},
          {"loss", p.loss},
          {"accuracy", p.accuracy},
          {"eta_seconds", p.eta_seconds},
          {"images_per_second", p.images_per_second}};
}

TrialProgress progress_from_json(const json& j) {
  TrialProgress p;
  if (!j.is_object()) return p;
  p.epoch = j.value("epoch", 0);
  p.epochs = j.value("epochs", 0);
  p.step = j.value("step", int64_t{0});
  p.steps = j.value("steps", int64_t{0});
  p.loss = j.value("loss", 0.0);
  p.accuracy = j.value("accuracy", 0.0);
  p.eta_seconds = j.value("eta_seconds", -1.0);
  p.images_per_second = j.value("images_per_second", 0.0);
  return p;
}

std::string format_duration(double s) {
  if (s < 0) return "?";
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t < 60)
    std::snprintf(buf, sizeof buf, "%lds", t);
  else if (t < 3600)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
  return buf;
}

std::string setting_label(const std::string& family, const json& params) {
  std::string out = family;
  // A bred individual (per-layer) is its generation and genome; the grid setting it came from
  // is the same for every one of them.
  if (params.is_object() && params.contains("genome") && params.at("genome").is_array()) {
    out += " gen=" + params.value("generation", json(0)).dump() + " bits=";
    for (size_t i = 0; i < params.at("genome").size(); ++i)
      out += (i ? "-" : "") + params.at("genome")[i].dump();
    return out;
  }
  if (params.is_object())
    for (const auto& [k, v] : params.items()) {
      if (k == "thresholds") continue;  // they score a network, they do not make it
      std::ostringstream o;
      if (v.is_number())
        o << v.get<double>();
      else if (v.is_string())
        o << v.get<std::string>();
      else
        o << v.dump();
      out += " " + k + "=" + o.str();
    }
  return out;
}

std::string format_trial_line(const db::TrialRecord& t, const TrialProgress& p) {
  char buf[256];
  if (p.epochs == 0 && p.steps == 0) {  // claimed, no progress reported yet (loading, profiling)
    std::snprintf(buf, sizeof buf, "  #%-4lld %-28s starting", (long long)t.id,
                  setting_label(t.family, t.params).substr(0, 28).c_str());
    return buf;
  }
  std::snprintf(buf, sizeof buf,
                "  #%-4lld %-28s epoch %d/%d  step %lld/%lld  loss %.4f  acc %.4f  ETA %s",
                (long long)t.id, setting_label(t.family, t.params).substr(0, 28).c_str(), p.epoch,
                p.epochs, (long long)p.step, (long long)p.steps, p.loss, p.accuracy,
                format_duration(p.eta_seconds).c_str());
  return buf;
}

StudyStatus study_status(const std::vector<db::TrialRecord>& trials, int parallel) {
  StudyStatus s;
  double seconds = 0;
  int timed = 0;
  for (const auto& t : trials) {
    ++s.total;
    s.epochs_spent += t.epochs_done;
    try {
      s.epochs_exhaustive += full_epochs(t);
    } catch (const std::exception&) {  // a config this version cannot read: what it trained
      s.epochs_exhaustive += t.epochs_done;
    }
    switch (t.state) {
      case db::TrialState::kStopped:
        ++s.stopped;
        break;
      case db::TrialState::kPending:
        ++s.pending;
        break;
      case db::TrialState::kRunning:
        ++s.running;
        break;
      case db::TrialState::kFailed:
        ++s.failed;
        break;
      case db::TrialState::kInterrupted:
        ++s.interrupted;
        break;
      case db::TrialState::kDone:
        ++s.done;
        if (t.finished_at > t.started_at && t.started_at > 0) {
          seconds += t.finished_at - t.started_at;
          ++timed;
        }
        break;
    }
  }
  if (timed) {
    s.mean_trial_seconds = seconds / timed;
    // Running trials count as half done on average.
    const double remaining = s.pending + s.interrupted + 0.5 * s.running;
    s.eta_seconds = remaining * s.mean_trial_seconds / std::max(1, parallel);
  }
  return s;
}

std::string format_study_line(const std::string& study, const StudyStatus& s) {
  std::ostringstream o;
  o << "study " << study << ": " << s.done << "/" << s.total << " done, " << s.running
    << " running, " << s.failed << " failed, " << s.pending + s.interrupted << " to run";
  if (s.interrupted) o << " (" << s.interrupted << " interrupted)";
  if (s.stopped) o << ", " << s.stopped << " stopped at a rung";
  o << ", " << s.epochs_spent << "/" << s.epochs_exhaustive << " epochs";
  if (s.epochs_exhaustive > 0 && s.epochs_spent < s.epochs_exhaustive && s.stopped)
    o << " (" << (100 * s.epochs_spent / s.epochs_exhaustive) << "% of an exhaustive sweep)";
  o << ", ETA " << format_duration(s.eta_seconds);
  return o.str();
}

void Console::log(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  clear_block();
  std::fprintf(stderr, "%s\n", line.c_str());
  draw_block();
  std::fflush(stderr);
}

void Console::set_live(const std::vector<std::string>& lines) {
  if (!live_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  clear_block();
  block_ = lines;
  draw_block();
  std::fflush(stderr);
}

void Console::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  clear_block();
  block_.clear();
  std::fflush(stderr);
}

void Console::clear_block() {
  // Cursor up over the block, clearing each line (ANSI; only on a terminal).
  for (size_t i = 0; i < drawn_; ++i) std::fprintf(stderr, "\x1b[1A\x1b[2K");
  drawn_ = 0;
}

void Console::draw_block() {
  if (!live_) return;
  for (const auto& l : block_) std::fprintf(stderr, "%s\n", l.c_str());
  drawn_ = block_.size();
}

}  // namespace hybridnet::search
