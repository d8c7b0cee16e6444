// K-means, the significant-layer rule, the partition algorithm and the binarisation error, on
// hand-made inputs with hand-derived answers.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "analysis/binarization_error.h"
#include "analysis/kmeans.h"
#include "analysis/layer_selection.h"

using namespace hybridnet::analysis;
using Approx = Catch::Detail::Approx;

TEST_CASE("K-means recovers well-separated clusters and is reproducible", "[analysis][kmeans]") {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 0.1);
  const double centres[3][2] = {{0, 0}, {5, 5}, {-5, 5}};
  Eigen::MatrixXd x(90, 2);
  for (int i = 0; i < 90; ++i)
    for (int j = 0; j < 2; ++j) x(i, j) = centres[i % 3][j] + g(rng);
  KMeansOptions o;
  o.seed = 42;
  const auto a = kmeans(x, 3, o), b = kmeans(x, 3, o);
  CHECK(a.labels == b.labels);
  CHECK(a.inertia == b.inertia);
  for (int i = 3; i < 90; ++i) CHECK(a.labels[i] == a.labels[i % 3]);
  CHECK(std::set<int>(a.labels.begin(), a.labels.end()).size() == 3);
  CHECK(a.inertia < 90 * 2 * 0.05);
  CHECK_THROWS_WITH(kmeans(x, 0), Catch::Contains("k (0) must be in [1, 90]"));
  CHECK_THROWS_WITH(kmeans(x, 91), Catch::Contains("k (91)"));
}

TEST_CASE("significant layers follow k_i - k_{i-1} > Delta", "[analysis][selection]") {
  const std::vector<int> k = {5, 7, 7, 12, 13, 13, 20, 18};
  CHECK(significant_layers(k, 0) == std::vector<int>{1, 3, 4, 6});
  CHECK(significant_layers(k, 1) == std::vector<int>{1, 3, 6});
  CHECK(significant_layers(k, 2) == std::vector<int>{3, 6});
  CHECK(significant_layers(k, 5) == std::vector<int>{6});
  CHECK(significant_layers(k, 7).empty());
  std::vector<bool> eligible(8, true);
  eligible[6] = false;
  CHECK(significant_layers(k, 1, eligible) == std::vector<int>{1, 3});
}

TEST_CASE("partition algorithm on a hand-made metric vector", "[analysis][selection]") {
  // Low group {0.10, 0.12, 0.11}, middle {0.50, 0.52}, high {0.90, 0.95}; P = 7.
  Eigen::MatrixXd m(7, 1);
  m << 0.10, 0.12, 0.11, 0.90, 0.95, 0.50, 0.52;
  // N = 2: {0.5, 0.52, 0.9, 0.95} is the high cluster, 4/7 = 0.57.
  auto r = partition_layers(m, 0.6, 0);
  CHECK(r.found);
  CHECK(r.clusters == 2);
  CHECK(r.selected == std::vector<int>{3, 4, 5, 6});
  // N = 3 splits off {0.9, 0.95}: 2/7 = 0.29.
  r = partition_layers(m, 0.4, 0);
  CHECK(r.clusters == 3);
  CHECK(r.selected == std::vector<int>{3, 4});
  // N = 4 splits the widest cluster {0.9, 0.95}: the top is {0.95}, 1/7 = 0.14.
  r = partition_layers(m, 0.2, 0);
  CHECK(r.clusters == 4);
  CHECK(r.selected == std::vector<int>{4});
  // No N gives K/P <= 0.1 (at best 1/7).
  CHECK_FALSE(partition_layers(m, 0.1, 0).found);
}

TEST_CASE("binarisation error by hand, plain and beta-scaled", "[analysis][selection]") {
  // I = [0.5, -2, 1, 0]: sign = [1, -1, 1, 1]; squared errors 0.25, 1, 0, 1 -> 2.25 / 4.
  // beta = mean |I| = 0.875: 0.140625 + 1.265625 + 0.015625 + 0.765625 = 2.1875 -> / 4.
  const float a[] = {0.5f, -2.0f, 1.0f, 0.0f, 1.0f, -1.0f, 1.0f, -1.0f};
  BinarizationError e;
  e.add(a, 1, 4);
  CHECK(e.error() == Approx(0.5625));
  CHECK(e.scaled_error() == Approx(0.546875));
  e.add(a + 4, 1, 4);  // a perfectly binary sample has no error: the mean halves
  CHECK(e.samples() == 2);
  CHECK(e.error() == Approx(0.5625 / 2));
}
