// The search space a user writes: the study, architectures and widths, data, training settings,
// energy table, objectives, and the families with their parameter grids. Parsing validates all of
// it (unknown family or key, wrong type, empty grid, a family that does not apply to an
// architecture) before anything trains; every error names the file and the JSON path.
//
//   {"study": "quickstart", "arch": "resnet8", "width": 1,
//    "data": {"name": "fashion-mnist", "subset": 6000},
//    "train": {"epochs": 3, "optimizer": "adam", "lr": 0.001},
//    "seeds": [0], "energy_table": "10nm",
//    "objectives": ["accuracy:max", "energy:min", "memory:min"],
//    "analysis": {"samples": 2000},
//    "search": {"strategy": "grid"},
//    "families": {"fp": {}, "xnor": {}, "pca": {"T": 0.99, "delta": [1, 2], "kb": 2},
//                 "partition": {"R": [0.2, 0.4]}}}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/data_options.h"
#include "models/energy_table.h"
#include "models/run_spec.h"
#include "search/pareto.h"
#include "search/search_strategy.h"

namespace hybridnet::search {

/// One family's grid: the cartesian product of its parameters' value lists.
struct FamilyGrid {
  std::string family;
  std::vector<std::string> keys;                ///< the family's parameters, in its order
  std::vector<std::vector<nlohmann::json>> values;  ///< per key, the values to try
  nlohmann::json train_override = nlohmann::json::object();  ///< merged into "train"
  /// Every parameter setting of the grid, e.g. [{"delta": 1, "kb": 2}, {"delta": 2, "kb": 2}].
  std::vector<nlohmann::json> settings() const;
};

/// How the baseline of the analysis families is profiled.
struct AnalysisSettings {
  int64_t samples = 2000;     ///< training images captured
  bool plain = false;         ///< profile without shortcuts (PCA paper, section 4)
  bool scaled_error = false;  ///< beta-scaled binarisation error in the metric
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AnalysisSettings, samples, plain, scaled_error)

struct SearchSpace {
  std::string file;  ///< where it was read from, for errors
  std::string study;
  std::vector<std::string> archs = {"resnet20"};
  std::vector<double> widths = {1.0};
  models::DataOptions data;
  models::TrainConfig train;
  std::vector<uint64_t> seeds = {0};
  std::string energy_table = models::kDefaultEnergyTable;
  std::vector<Objective> objectives = default_objectives();
  AnalysisSettings analysis;
  /// Where the analysis families' networks start: "scratch" (fresh weights at the seed) or
  /// "baseline" (the trained XNOR baseline's weights, fine-tuned at the new precisions).
  std::string init = "scratch";
  std::vector<FamilyGrid> families;
  SearchStrategy search;  ///< grid (default) or successive halving
  nlohmann::json raw;  ///< the file's JSON, stored with the study

  bool needs_profile() const;
};

/// Most candidates a space may describe (family settings x archs x widths x seeds).
inline constexpr int kMaxSpaceCandidates = 10000;

/// Parses and validates a space; `where` (the file name) prefixes every error.
SearchSpace parse_space(const nlohmann::json& j, const std::string& where);
/// Reads and validates a space file.
SearchSpace load_space(const std::string& path);

}  // namespace hybridnet::search
