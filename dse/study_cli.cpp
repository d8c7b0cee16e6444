#include "dse/study_cli.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>

#include "models/error.h"
#include "search/progress.h"
#include "search/results.h"

namespace hybridnet::dse {

std::unique_ptr<db::Store> open_store(const std::string& url, bool read_only) {
  return db::open_store(url, read_only ? db::OpenMode::kReadOnly : db::OpenMode::kReadWrite);
}

db::StudyRecord require_study(db::Store& store, const std::string& name, const std::string& db) {
  const auto studies = store.studies();
  std::string known;
  for (const auto& s : studies) known += (known.empty() ? "" : ", ") + s.name;
  if (name.empty()) {
    if (studies.size() == 1) return studies.front();
    throw ConfigError(db + ": " +
                      (studies.empty() ? std::string("holds no study yet")
                                       : "holds several studies (" + known + "); give --study"));
  }
  for (const auto& s : studies)
    if (s.name == name) return s;
  throw ConfigError(db + ": no study '" + name + "'" +
                    (known.empty() ? "" : " (studies: " + known + ")"));
}

db::TrialRecord require_trial(db::Store& store, int64_t id, const std::string& db) {
  auto t = store.trial(id);
  if (!t) throw ConfigError(db + ": no trial " + std::to_string(id));
  return *t;
}

double parse_duration(const std::string& text, const std::string& option) {
  static const std::regex re(
      R"(^\s*(?:(\d{1,9}(?:\.\d{1,9})?)h)?\s*(?:(\d{1,9}(?:\.\d{1,9})?)m)?\s*(?:(\d{1,9}(?:\.\d{1,9})?)s?)?\s*$)");
  std::smatch m;
  if (text.empty() || !std::regex_match(text, m, re))
    throw ConfigError(option + " '" + text + "': expected a duration like 8h, 90m, 1h30m, 45s");
  double s = 0;
  if (m[1].matched) s += std::stod(m[1]) * 3600;
  if (m[2].matched) s += std::stod(m[2]) * 60;
  if (m[3].matched) s += std::stod(m[3]);
  if (!(s > 0)) throw ConfigError(option + " '" + text + "': must be positive");
  return s;
}

std::string trial_table(const std::vector<db::TrialRecord>& trials,
                        const std::vector<std::string>& marks) {
  auto params_of = [](const db::TrialRecord& t) {
    std::string p = search::setting_label("", t.params);
    if (!p.empty() && p[0] == ' ') p.erase(0, 1);
    return p.empty() ? std::string("-") : p;
  };
  // The params column is as wide as its longest entry (up to 48), so that settings that
  // differ only in their last parameter stay distinguishable.
  int width = 6;
  for (const auto& t : trials) width = std::max(width, static_cast<int>(params_of(t).size()));
  width = std::min(width, 48);
  int family_width = 13;  // and wider for a longer family name (binary-shortcut-1)
  for (const auto& t : trials)
    family_width = std::max(family_width, static_cast<int>(std::min<size_t>(t.family.size(), 40)));
  std::string out;
  char buf[400];
  // Measured latency (the latency objective) gets a column when some trial has it.
  const bool latency = std::any_of(trials.begin(), trials.end(), [](const db::TrialRecord& t) {
    return t.objectives.count("latency_ms") > 0;
  });
  std::snprintf(buf, sizeof buf, "%2s %4s  %-*s %-*s %-9s %-8s %-11s %8s %11s %11s %7s %7s", "",
                "id", family_width, "family", width, "params", "exit", "arch", "state", "accuracy",
                "energy uJ", "memory KiB", "EE(FP)", "MC(FP)");
  // Chosen on validation, reported on test: trials with a validation split show their test
  // accuracy beside the (validation) accuracy the front uses.
  const bool test = std::any_of(trials.begin(), trials.end(), [](const db::TrialRecord& t) {
    return t.objectives.count("val_accuracy") > 0;
  });
  out += buf + std::string(test ? "     test" : "") + std::string(latency ? " latency ms\n" : "\n");
  auto num = [](double v, const char* f) {
    char b[32];
    if (!std::isfinite(v)) return std::string("-");
    std::snprintf(b, sizeof b, f, v);
    return std::string(b);
  };
  for (size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    std::string arch = t.plan.value("arch", "?");
    const double w = t.plan.value("width", 1.0);
    if (w != 1.0) arch += " x" + num(w, "%g");
    // A design point names its exit threshold; a trial scored at thresholds counts its points.
    std::string exit = search::point_label(t);
    if (exit.empty()) exit = t.points.empty() ? "-" : std::to_string(t.points.size()) + " pts";
    std::snprintf(buf, sizeof buf, "%2s %4lld  %-*s %-*s %-9s %-8s %-11s %8s %11s %11s %7s %7s",
                  i < marks.size() ? marks[i].c_str() : "", (long long)t.id, family_width,
                  t.family.substr(0, 40).c_str(),
                  width, params_of(t).substr(0, width).c_str(), exit.c_str(), arch.c_str(),
                  search::state_label(t).c_str(), num(t.objective("accuracy"), "%.4f").c_str(),
                  num(t.objective("energy_pj") / 1e6, "%.2f").c_str(),
                  num(t.objective("memory_bits") / 8192, "%.1f").c_str(),
                  num(t.objective("ee_fp"), "%.2f").c_str(),
                  num(t.objective("mc_fp"), "%.2f").c_str());
    out += buf;
    if (test) out += " " + num(t.objective("test_accuracy"), "%8.4f");
    if (latency) out += " " + num(t.objective("latency_ms"), "%10.3f");
    out += "\n";
  }
  return out;
}

}  // namespace hybridnet::dse
