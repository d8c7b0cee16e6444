// Selection rules; deterministic for given inputs and seed.
#include "analysis/layer_selection.h"

#include <stdexcept>
#include <string>

#include "analysis/kmeans.h"

namespace hybridnet::analysis {

std::vector<int> significant_layers(const std::vector<int>& k, double delta,
                                    const std::vector<bool>& eligible) {
  if (!eligible.empty() && eligible.size() != k.size())
    throw std::invalid_argument("significant_layers(): eligible has " +
                                std::to_string(eligible.size()) + " entries for " +
                                std::to_string(k.size()) + " layers");
  std::vector<int> out;
  for (size_t i = 1; i < k.size(); ++i)
    if ((eligible.empty() || eligible[i]) && k[i] - k[i - 1] > delta)
      out.push_back(static_cast<int>(i));
  return out;
}

PartitionResult partition_layers(const Eigen::MatrixXd& features, double ratio, uint64_t seed) {
  if (!(ratio > 0.0 && ratio <= 1.0))
    throw std::invalid_argument("partition_layers(): R (" + std::to_string(ratio) +
                                ") must be in (0, 1]");
  const int p = static_cast<int>(features.rows());
  PartitionResult r;
  KMeansOptions options;
  options.seed = seed;
  for (int n = 2; n <= p; ++n) {
    const KMeansResult km = kmeans(features, n, options);
    Eigen::Index top = 0;
    km.centroids.rowwise().sum().maxCoeff(&top);
    std::vector<int> members;
    for (int i = 0; i < p; ++i)
      if (km.labels[i] == top) members.push_back(i);
    if (static_cast<double>(members.size()) / p <= ratio + 1e-12) {
      r.found = true;
      r.clusters = n;
      r.selected = members;
      r.labels = km.labels;
      r.highest_cluster = static_cast<int>(top);
      return r;
    }
  }
  return r;
}

}  // namespace hybridnet::analysis
