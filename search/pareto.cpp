#include "search/pareto.h"

#include <cmath>
#include <stdexcept>

#include "models/error.h"

namespace hybridnet::search {

const std::vector<ObjectiveKind>& objective_kinds() {
  static const std::vector<ObjectiveKind> kinds = {
      {"accuracy", "accuracy", "fraction", true}, {"top5", "top5", "fraction", true},
      {"energy", "energy_pj", "pJ", false},       {"memory", "memory_bits", "bit", false},
      {"flops", "flops", "FLOP", false},          {"ee_fp", "ee_fp", "x", true},
      {"mc_fp", "mc_fp", "x", true},              {"ee_xnor", "ee_xnor", "x", true},
      {"mc_xnor", "mc_xnor", "x", true},
      // Measured, not predicted: the exported network's batch-1 latency on one core of the
      // machine that ran the sweep (hybridnet's runtime).
      {"latency", "latency_ms", "ms", false},
  };
  return kinds;
}

const ObjectiveKind* find_objective_kind(const std::string& name) {
  for (const auto& k : objective_kinds())
    if (k.name == name || k.column == name) return &k;
  return nullptr;
}

const ObjectiveKind& Objective::kind() const {
  const ObjectiveKind* k = find_objective_kind(name);
  if (!k) throw std::logic_error("Objective::kind(): no objective " + name);
  return *k;
}

const std::vector<std::string>& objective_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& k : objective_kinds()) v.push_back(k.name);
    return v;
  }();
  return names;
}

Objective parse_objective(const std::string& text, const std::string& where) {
  const auto colon = text.find(':');
  const ObjectiveKind* kind = find_objective_kind(text.substr(0, colon));
  if (!kind) {
    std::string list;
    for (const auto& n : objective_names()) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError(where + ": unknown objective '" + text.substr(0, colon) +
                      "' (known: " + list + ")");
  }
  Objective o;
  o.name = kind->name;
  o.maximize = kind->natural_max;
  if (colon != std::string::npos) {
    const std::string dir = text.substr(colon + 1);
    if (dir != "max" && dir != "min")
      throw ConfigError(where + ": objective '" + text + "': direction must be max or min");
    o.maximize = dir == "max";
  }
  return o;
}

void check_distinct(const std::vector<Objective>& objectives, const std::string& where) {
  for (size_t i = 0; i < objectives.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (objectives[i].name == objectives[j].name)
        throw ConfigError(where + ": objective '" + objectives[i].name +
                          "' given twice (one direction each)");
}

std::vector<Objective> parse_objectives(const std::string& list, const std::string& where) {
  std::vector<Objective> out;
  size_t start = 0;
  while (start <= list.size()) {
    const auto comma = list.find(',', start);
    const std::string item =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(parse_objective(item, where));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.empty()) throw ConfigError(where + ": no objectives given");
  check_distinct(out, where);
  return out;
}

std::vector<Objective> default_objectives() {
  return {{"accuracy", true}, {"energy", false}, {"memory", false}};
}

std::string to_string(const std::vector<Objective>& objectives) {
  std::string out;
  for (const auto& o : objectives)
    out += (out.empty() ? "" : ",") + o.name + (o.maximize ? ":max" : ":min");
  return out;
}

bool dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Objective>& objectives) {
  bool strictly = false;
  for (size_t j = 0; j < objectives.size(); ++j) {
    // Normalised to minimisation.
    const double x = objectives[j].maximize ? -a[j] : a[j];
    const double y = objectives[j].maximize ? -b[j] : b[j];
    if (x > y) return false;
    if (x < y) strictly = true;
  }
  return strictly;
}

std::vector<int> pareto_ranks(const std::vector<std::vector<double>>& points,
                              const std::vector<Objective>& objectives) {
  // Deb's fast non-dominated sort: O(n^2 m), plenty for the thousands of trials of a study.
  const size_t n = points.size();
  for (const auto& p : points)
    if (p.size() != objectives.size())
      throw std::invalid_argument("pareto_ranks(): a point has the wrong number of objectives");
  std::vector<std::vector<size_t>> dominated(n);
  std::vector<int> count(n, 0), rank(n, -1);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (dominates(points[i], points[j], objectives)) {
        dominated[i].push_back(j);
        ++count[j];
      } else if (dominates(points[j], points[i], objectives)) {
        dominated[j].push_back(i);
        ++count[i];
      }
    }
  std::vector<size_t> current;
  for (size_t i = 0; i < n; ++i)
    if (count[i] == 0) current.push_back(i);
  for (int r = 0; !current.empty(); ++r) {
    std::vector<size_t> next;
    for (size_t i : current) {
      rank[i] = r;
      for (size_t j : dominated[i])
        if (--count[j] == 0) next.push_back(j);
    }
    current = std::move(next);
  }
  return rank;
}

std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& points,
                                 const std::vector<Objective>& objectives) {
  const auto rank = pareto_ranks(points, objectives);
  std::vector<size_t> out;
  for (size_t i = 0; i < rank.size(); ++i)
    if (rank[i] == 0) out.push_back(i);
  return out;
}

}  // namespace hybridnet::search
