// k-means++ (Arthur & Vassilvitskii): the first centre uniformly, each next one with probability
// proportional to the squared distance to the nearest chosen centre. Empty clusters are re-seeded
// with the point farthest from its centre.
#include "analysis/kmeans.h"

#include <limits>
#include <random>
#include <stdexcept>
#include <string>

namespace hybridnet::analysis {

namespace {

KMeansResult lloyd(const Eigen::MatrixXd& x, Eigen::MatrixXd centroids, int max_iterations) {
  const Eigen::Index n = x.rows(), k = centroids.rows();
  KMeansResult r;
  r.labels.assign(n, -1);
  for (int it = 0; it < max_iterations; ++it) {
    bool changed = false;
    Eigen::VectorXd dist(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      Eigen::Index best = 0;
      dist[i] = (centroids.rowwise() - x.row(i)).rowwise().squaredNorm().minCoeff(&best);
      if (r.labels[i] != best) {
        r.labels[i] = static_cast<int>(best);
        changed = true;
      }
    }
    Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(k, x.cols());
    Eigen::VectorXi counts = Eigen::VectorXi::Zero(k);
    for (Eigen::Index i = 0; i < n; ++i) {
      sums.row(r.labels[i]) += x.row(i);
      ++counts[r.labels[i]];
    }
    for (Eigen::Index c = 0; c < k; ++c) {
      if (counts[c] > 0) {
        centroids.row(c) = sums.row(c) / counts[c];
      } else {  // empty: take the point farthest from its centre
        Eigen::Index far = 0;
        dist.maxCoeff(&far);
        centroids.row(c) = x.row(far);
        dist[far] = 0;
        changed = true;
      }
    }
    if (!changed) break;
  }
  r.inertia = 0;
  for (Eigen::Index i = 0; i < n; ++i)
    r.inertia += (x.row(i) - centroids.row(r.labels[i])).squaredNorm();
  r.centroids = centroids;
  return r;
}

Eigen::MatrixXd plus_plus(const Eigen::MatrixXd& x, int k, std::mt19937_64& rng) {
  const Eigen::Index n = x.rows();
  Eigen::MatrixXd c(k, x.cols());
  c.row(0) = x.row(std::uniform_int_distribution<Eigen::Index>(0, n - 1)(rng));
  Eigen::VectorXd d2 = (x.rowwise() - c.row(0)).rowwise().squaredNorm();
  for (int j = 1; j < k; ++j) {
    const double total = d2.sum();
    Eigen::Index pick = 0;
    if (total > 0) {
      double u = std::uniform_real_distribution<double>(0.0, total)(rng);
      for (pick = 0; pick < n - 1 && u >= d2[pick]; ++pick) u -= d2[pick];
    } else {  // every point coincides with a centre already
      pick = std::uniform_int_distribution<Eigen::Index>(0, n - 1)(rng);
    }
    c.row(j) = x.row(pick);
    d2 = d2.cwiseMin((x.rowwise() - c.row(j)).rowwise().squaredNorm());
  }
  return c;
}

}  // namespace

KMeansResult kmeans(const Eigen::MatrixXd& points, int k, const KMeansOptions& options) {
  if (k < 1 || k > points.rows())
    throw std::invalid_argument("kmeans(): k (" + std::to_string(k) + ") must be in [1, " +
                                std::to_string(points.rows()) + "]");
  if (options.restarts < 1) throw std::invalid_argument("kmeans(): restarts must be >= 1");
  std::mt19937_64 rng(options.seed);
  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int r = 0; r < options.restarts; ++r) {
    KMeansResult run = lloyd(points, plus_plus(points, k, rng), options.max_iterations);
    if (run.inertia < best.inertia) best = std::move(run);
  }
  return best;
}

}  // namespace hybridnet::analysis
