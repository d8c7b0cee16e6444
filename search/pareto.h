// Pareto fronts over a study's objectives, as free functions over a matrix of points (one row per
// trial, one column per objective), after normalising every objective to minimisation.
#pragma once

#include <string>
#include <vector>

namespace hybridnet::search {

/// What a study can optimise: its name in space files and on the command line, the store's
/// objectives column that holds it, its unit, and the direction in which it improves.
struct ObjectiveKind {
  std::string name;    ///< accuracy, top5, energy, memory, flops, ee_fp, mc_fp, ee_xnor, mc_xnor,
                       ///< latency
  std::string column;  ///< energy_pj, memory_bits, latency_ms; the name for the others
  std::string unit;    ///< "fraction", "pJ", "bit", "FLOP", "x" (a ratio to a reference network),
                       ///< "ms"
  /// Accuracy and the papers' ratios (reference / this network) grow with quality; costs shrink.
  bool natural_max = false;
};
/// Every objective kind, for validation and --help.
const std::vector<ObjectiveKind>& objective_kinds();
/// The kind called `name`, or whose column is `name` (energy_pj reads as energy); nullptr if none.
const ObjectiveKind* find_objective_kind(const std::string& name);

/// An objective of a study: a kind and the direction it is optimised in.
struct Objective {
  std::string name;  ///< an ObjectiveKind's name
  bool maximize = false;
  /// Its kind (logic_error for a name that is not one: parse_objective never makes such).
  const ObjectiveKind& kind() const;
  /// The store's objectives column that holds it: energy -> energy_pj, memory -> memory_bits.
  const std::string& column() const { return kind().column; }
  const std::string& unit() const { return kind().unit; }
};

/// Objective names a study can use, for errors and --help.
const std::vector<std::string>& objective_names();
/// "accuracy:max" (or "accuracy", which takes the natural direction; "energy_pj" is "energy");
/// throws ConfigError naming `where` for an unknown name or direction.
Objective parse_objective(const std::string& text, const std::string& where);
/// ConfigError when an objective appears twice ("accuracy:max" and "accuracy:min").
void check_distinct(const std::vector<Objective>& objectives, const std::string& where);
/// "accuracy:max,energy:min"; each objective once.
std::vector<Objective> parse_objectives(const std::string& comma_list, const std::string& where);
/// The default objectives: accuracy max, energy min, memory min.
std::vector<Objective> default_objectives();
std::string to_string(const std::vector<Objective>& objectives);

/// True when a dominates b (all objectives <= after normalisation, one strictly <). Equal points
/// do not dominate each other, so duplicates share a front.
bool dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Objective>& objectives);

/// Non-dominated sorting: rank 0 is the Pareto front, rank 1 the front once rank 0 is removed,
/// and so on. points[i][j] is point i's value of objectives[j].
std::vector<int> pareto_ranks(const std::vector<std::vector<double>>& points,
                              const std::vector<Objective>& objectives);

/// Indices of the points on the front (rank 0), in input order.
std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& points,
                                 const std::vector<Objective>& objectives);

}  // namespace hybridnet::search
