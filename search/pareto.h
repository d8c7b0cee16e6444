// Pareto fronts over a study's objectives, as free functions over a matrix of points (one row per
// trial, one column per objective), after normalising every objective to minimisation.
#pragma once

#include <string>
#include <vector>

namespace hybridnet::search {

struct Objective {
  std::string name;  ///< accuracy, top5, energy, memory, flops, ee_fp, mc_fp, ee_xnor, mc_xnor
  bool maximize = false;
};

/// Objective names a study can use, for errors and --help.
const std::vector<std::string>& objective_names();
/// The objectives table key of an objective: energy -> energy_pj, memory -> memory_bits.
std::string objective_column(const std::string& name);
/// "accuracy:max" (or "accuracy", which takes the natural direction); throws ConfigError
/// naming `where` for an unknown name or direction.
Objective parse_objective(const std::string& text, const std::string& where);
/// "accuracy:max,energy:min"
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
