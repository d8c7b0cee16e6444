#include "search/results.h"

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "models/energy_table.h"
#include "models/error.h"
#include "search/trial_config.h"

namespace hybridnet::search {

using nlohmann::json;

std::string trial_energy_table(const db::TrialRecord& t) {
  return trial_config(t).energy_table;
}

const db::TrialRecord* trial_with_key(const std::vector<db::TrialRecord>& trials,
                                      const std::string& key) {
  for (const auto& t : trials)
    if (t.key == key) return &t;
  return nullptr;
}

double objective_value(const db::TrialRecord& t, const Objective& o) {
  return t.objective(o.column());
}

std::vector<Objective> study_objectives(const db::StudyRecord& study) {
  const json& o = study.space.contains("objectives") ? study.space.at("objectives") : json();
  if (!o.is_array()) return default_objectives();
  std::vector<Objective> out;
  for (const auto& item : o)
    out.push_back(parse_objective(item.get<std::string>(), "study " + study.name));
  return out;
}

std::vector<db::TrialRecord> design_points(const std::vector<db::TrialRecord>& trials) {
  std::vector<db::TrialRecord> out;
  for (const auto& t : trials) {
    if (t.state != db::TrialState::kDone || t.points.empty() || t.point >= 0) {
      out.push_back(t);
      continue;
    }
    for (size_t i = 0; i < t.points.size(); ++i) {
      const auto& p = t.points[i];
      if (i > 0 && p.exit_share == t.points[i - 1].exit_share &&
          p.exit_accuracy == t.points[i - 1].exit_accuracy)
        continue;  // the same operating point as the lower threshold before it
      out.push_back(at_point(t, i));
    }
  }
  return out;
}

db::TrialRecord at_point(const db::TrialRecord& t, size_t i) {
  const auto& p = t.points.at(i);
  const double energy = t.objective("energy_pj");
  db::TrialRecord r = t;
  r.point = static_cast<int>(i);
  r.objectives.erase("top5");
  r.objectives.erase("flops");
  r.objectives["accuracy"] = p.accuracy;
  r.objectives["energy_pj"] = p.energy_pj;
  for (const char* ratio : {"ee_fp", "ee_xnor"})  // reference energy / this point's
    if (t.objectives.count(ratio))
      r.objectives[ratio] = t.objectives.at(ratio) * energy / p.energy_pj;
  return r;
}

size_t find_point(const db::TrialRecord& t, double threshold) {
  std::string stored;
  for (size_t i = 0; i < t.points.size(); ++i) {
    const auto& th = t.points[i].thresholds;
    if (!th.empty() && std::abs(th.front() - threshold) < 1e-9) return i;
    std::ostringstream o;
    o << (th.empty() ? 0.0 : th.front());
    stored += (stored.empty() ? "" : ", ") + o.str();
  }
  std::ostringstream o;
  o << threshold;
  throw ConfigError("trial " + std::to_string(t.id) + " has no operating point at threshold " +
                    o.str() +
                    (stored.empty() ? " (it has no early exits, or was not scored)"
                                    : " (stored: " + stored + ")"));
}

json point_json(const db::PointRow& p) {
  return {{"thresholds", p.thresholds},         {"exit_share", p.exit_share},
          {"exit_accuracy", p.exit_accuracy},   {"accuracy", p.accuracy},
          {"edge_energy_pj", p.edge_energy_pj}, {"cloud_energy_pj", p.cloud_energy_pj},
          {"mean_energy_pj", p.energy_pj}};
}

std::string point_label(const db::TrialRecord& t) {
  if (t.point < 0 || t.point >= static_cast<int>(t.points.size())) return "";
  std::string out = "t=";
  const auto& th = t.points[t.point].thresholds;
  for (size_t i = 0; i < th.size(); ++i) {
    std::ostringstream o;
    o << th[i];
    out += (i ? "/" : "") + o.str();
  }
  return out;
}

std::vector<db::TrialRecord> pareto_trials(const std::vector<db::TrialRecord>& trials,
                                           const std::vector<Objective>& objectives,
                                           bool include_stopped) {
  std::vector<db::TrialRecord> done;
  std::vector<std::vector<double>> points;
  for (const auto& t : design_points(trials)) {
    if (t.state != db::TrialState::kDone &&
        !(include_stopped && t.state == db::TrialState::kStopped))
      continue;
    std::vector<double> p;
    for (const auto& o : objectives) p.push_back(objective_value(t, o));
    bool known = true;
    for (double v : p) known = known && std::isfinite(v);
    if (!known) continue;
    done.push_back(t);
    points.push_back(std::move(p));
  }
  std::vector<db::TrialRecord> out;
  for (size_t i : pareto_front(points, objectives)) out.push_back(done[i]);
  return out;
}

void with_rung_accuracy(std::vector<db::TrialRecord>& trials,
                        const std::vector<db::RungRow>& rungs) {
  std::map<int64_t, const db::RungRow*> last;
  for (const auto& r : rungs)
    if (!last.count(r.trial_id) || last[r.trial_id]->rung < r.rung) last[r.trial_id] = &r;
  for (auto& t : trials)
    if (t.state == db::TrialState::kStopped && last.count(t.id))
      t.objectives["accuracy"] = last[t.id]->accuracy;
}

std::string state_label(const db::TrialRecord& t) {
  std::string s = db::to_string(t.state);
  if (t.state == db::TrialState::kStopped || (t.rung > 0 && t.state != db::TrialState::kDone))
    s += " r" + std::to_string(t.rung);
  return s;
}

namespace {
json value_or_null(double v) { return std::isfinite(v) ? json(v) : json(); }
}  // namespace

std::string front_count(const std::vector<db::TrialRecord>& front, size_t of,
                        const std::string& what) {
  std::set<int64_t> trials;
  for (const auto& t : front) trials.insert(t.id);
  std::string out = std::to_string(trials.size()) + " of " + std::to_string(of) + " " + what;
  if (front.size() != trials.size())
    out = std::to_string(front.size()) + " points (one per exit threshold) of " + out;
  return out;
}

json trial_summary(const db::TrialRecord& t) {
  json settings = json::array();
  for (const auto& s : t.settings) settings.push_back({{"family", s.family}, {"params", s.params}});
  json out = {{"id", t.id},
              {"family", t.family},
              {"params", t.params},
              {"settings", settings},
              {"plan_hash", t.plan_hash},
              {"arch", t.plan.value("arch", "")},
              {"width", t.plan.value("width", 1.0)},
              {"state", db::to_string(t.state)},
              {"attempts", t.attempts},
              {"accuracy", value_or_null(t.objective("accuracy"))},
              {"energy_pj", value_or_null(t.objective("energy_pj"))},
              {"memory_bits", value_or_null(t.objective("memory_bits"))},
              {"ee_fp", value_or_null(t.objective("ee_fp"))},
              {"mc_fp", value_or_null(t.objective("mc_fp"))},
              {"flops", value_or_null(t.objective("flops"))},
              {"failure", t.failure.empty() ? json() : json(t.failure)},
              {"thresholds", json()},
              {"rung", t.rung},
              {"epochs_done", t.epochs_done},
              {"val_accuracy", value_or_null(t.objective("val_accuracy"))},
              {"test_accuracy", value_or_null(t.objective("test_accuracy"))}};
  if (t.objectives.count("latency_ms")) out["latency_ms"] = t.objectives.at("latency_ms");
  if (t.point >= 0 && t.point < static_cast<int>(t.points.size())) {
    const auto& p = t.points[t.point];
    out["thresholds"] = p.thresholds;
    out["point"] = {{"exit_share", p.exit_share},
                    {"exit_accuracy", p.exit_accuracy},
                    {"edge_energy_pj", p.edge_energy_pj},
                    {"cloud_energy_pj", p.cloud_energy_pj}};
  } else if (!t.points.empty()) {
    out["points"] = t.points.size();
  }
  return out;
}

std::string trials_csv(const std::vector<db::TrialRecord>& trials) {
  auto quote = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  std::ostringstream o;
  o << "id,family,params,plan_hash,arch,width,state,attempts,accuracy,energy_pj,memory_bits,ee_fp,"
       "mc_fp,"
       "flops,failure,thresholds,rung,epochs_done,val_accuracy,test_accuracy\n";
  o.precision(10);
  for (const auto& t : trials) {
    const json s = trial_summary(t);
    o << t.id << "," << t.family << "," << quote(t.params.dump()) << "," << t.plan_hash << ","
      << s["arch"].get<std::string>() << "," << s["width"].get<double>() << ","
      << db::to_string(t.state) << "," << t.attempts;
    for (const char* k : {"accuracy", "energy_pj", "memory_bits", "ee_fp", "mc_fp", "flops"}) {
      o << ",";
      if (!s[k].is_null()) o << s[k].get<double>();
    }
    o << "," << (t.failure.empty() ? "" : quote(t.failure)) << ","
      << (s["thresholds"].is_null() ? "" : quote(s["thresholds"].dump())) << "," << t.rung << ","
      << t.epochs_done;
    for (const char* k : {"val_accuracy", "test_accuracy"}) {
      o << ",";
      if (!s[k].is_null()) o << s[k].get<double>();
    }
    o << "\n";
  }
  return o.str();
}

}  // namespace hybridnet::search
