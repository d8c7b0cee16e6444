// K-means on Eigen matrices (one point per row): k-means++ initialisation from a seeded
// generator, Lloyd iterations, several restarts keeping the lowest inertia. Deterministic for a
// given seed.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

namespace hybridnet::analysis {

struct KMeansOptions {
  int restarts = 10;
  int max_iterations = 300;
  uint64_t seed = 0;
};

struct KMeansResult {
  std::vector<int> labels;    ///< cluster of each point
  Eigen::MatrixXd centroids;  ///< k x d
  double inertia = 0;         ///< sum of squared distances to the assigned centroid
};

/// Clusters the rows of `points` into k clusters; throws std::invalid_argument naming the bad
/// value when k is not in [1, rows].
KMeansResult kmeans(const Eigen::MatrixXd& points, int k, const KMeansOptions& options = {});

}  // namespace hybridnet::analysis
