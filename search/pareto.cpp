#include "search/pareto.h"

#include <cmath>

#include "models/error.h"

namespace hybridnet::search {

const std::vector<std::string>& objective_names() {
  static const std::vector<std::string> names = {"accuracy", "top5",  "energy",  "memory", "flops",
                                                 "ee_fp",    "mc_fp", "ee_xnor", "mc_xnor"};
  return names;
}

std::string objective_column(const std::string& name) {
  if (name == "energy") return "energy_pj";
  if (name == "memory") return "memory_bits";
  return name;
}

namespace {
// Accuracy and the papers' ratios (reference / this network) grow with quality; costs shrink.
bool natural_max(const std::string& name) {
  return name == "accuracy" || name == "top5" || name.rfind("ee_", 0) == 0 ||
         name.rfind("mc_", 0) == 0;
}
}  // namespace

Objective parse_objective(const std::string& text, const std::string& where) {
  const auto colon = text.find(':');
  Objective o;
  o.name = text.substr(0, colon);
  bool known = false;
  for (const auto& n : objective_names()) known = known || n == o.name;
  if (!known) {
    std::string list;
    for (const auto& n : objective_names()) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError(where + ": unknown objective '" + o.name + "' (known: " + list + ")");
  }
  o.maximize = natural_max(o.name);
  if (colon != std::string::npos) {
    const std::string dir = text.substr(colon + 1);
    if (dir != "max" && dir != "min")
      throw ConfigError(where + ": objective '" + text + "': direction must be max or min");
    o.maximize = dir == "max";
  }
  return o;
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
