// The two layer-selection rules of the papers, on per-layer numbers:
//   significant layers (PCA paper, Algorithm 1): layer i is significant when k_i - k_{i-1} > Delta;
//   partition (partition paper, Algorithm 1): for N = 2..P clusters of the per-layer features,
//   the first N whose highest cluster holds K layers with K / P <= R marks those layers.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

namespace hybridnet::analysis {

/// Positions i (> 0, eligible[i]) with k[i] - k[i-1] > delta. `eligible` may be empty (= all).
std::vector<int> significant_layers(const std::vector<int>& k, double delta,
                                    const std::vector<bool>& eligible = {});

struct PartitionResult {
  bool found = false;
  int clusters = 0;           ///< the N that satisfied K / P <= R
  std::vector<int> selected;  ///< rows in the highest cluster, ascending
  std::vector<int> labels;    ///< cluster of every row for that N (empty if none found)
  int highest_cluster = -1;
};

/// Partition over feature rows (one per layer; P = rows). The highest cluster is the one whose
/// centroid has the largest coordinate sum (for one feature: the highest mean metric). With
/// R < 1/P no N qualifies and `found` is false.
PartitionResult partition_layers(const Eigen::MatrixXd& features, double ratio, uint64_t seed);

}  // namespace hybridnet::analysis
