// Streaming covariance and PCA against closed-form references.
#include <Eigen/QR>
#include <catch2/catch.hpp>
#include <random>

#include "analysis/pca.h"
#include "analysis/streaming_covariance.h"

using namespace hybridnet::analysis;
using Approx = Catch::Detail::Approx;

namespace {
Eigen::MatrixXd random_orthogonal(int d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  Eigen::MatrixXd a(d, d);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) a(i, j) = g(rng);
  return Eigen::HouseholderQR<Eigen::MatrixXd>(a).householderQ();
}
}  // namespace

TEST_CASE("streaming covariance equals the batch covariance", "[analysis][pca]") {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> g(3.0, 2.0);
  const int n = 1001, d = 6;
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) x(i, j) = g(rng) * (j + 1) + (j == 2 ? x(i, 0) : 0.0);
  StreamingCovariance s(d);
  for (int start = 0, chunk = 1; start < n; start += chunk, chunk = chunk * 2 + 1)
    s.add(x.middleRows(start, std::min(chunk, n - start)));
  const Eigen::MatrixXd centred = x.rowwise() - x.colwise().mean();
  const Eigen::MatrixXd batch = centred.transpose() * centred / double(n - 1);
  CHECK(s.count() == n);
  CHECK((s.covariance() - batch).cwiseAbs().maxCoeff() < 1e-9);
  CHECK((s.mean() - x.colwise().mean().transpose()).cwiseAbs().maxCoeff() < 1e-12);
  // The float row-major entry point agrees.
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> xf = x.cast<float>();
  StreamingCovariance f(d);
  f.add(xf.data(), n);
  CHECK((f.covariance() - batch).cwiseAbs().maxCoeff() < 1e-3);
}

TEST_CASE("PCA of a known spectrum gives the known k for several T", "[analysis][pca]") {
  // variances 8, 4, 2, 1, 1 (total 16): cumulative 0.5, 0.75, 0.875, 0.9375, 1
  Eigen::VectorXd lambda(5);
  lambda << 8, 4, 2, 1, 1;
  const Eigen::MatrixXd q = random_orthogonal(5, 11);
  const auto s = pca_spectrum(q * lambda.asDiagonal() * q.transpose());
  for (int i = 0; i < 5; ++i) CHECK(s.eigenvalues[i] == Approx(lambda[i]).margin(1e-9));
  CHECK(s.components(0.5) == 1);
  CHECK(s.components(0.7) == 2);
  CHECK(s.components(0.8) == 3);
  CHECK(s.components(0.9) == 4);
  CHECK(s.components(0.99) == 5);
  CHECK(s.components(1.0) == 5);
}

TEST_CASE("PCA of sampled data with a known covariance recovers k", "[analysis][pca]") {
  Eigen::VectorXd lambda(4);
  lambda << 10, 5, 0.5, 0.01;  // cumulative 0.644, 0.966, 0.9994, 1
  const Eigen::MatrixXd q = random_orthogonal(4, 5);
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g;
  StreamingCovariance cov(4);
  for (int batch = 0; batch < 20; ++batch) {
    Eigen::MatrixXd z(2000, 4);
    for (int i = 0; i < z.rows(); ++i)
      for (int j = 0; j < 4; ++j) z(i, j) = g(rng) * std::sqrt(lambda[j]);
    cov.add(z * q.transpose());
  }
  const auto s = pca_spectrum(cov.covariance());
  CHECK(s.components(0.6) == 1);
  CHECK(s.components(0.95) == 2);
  CHECK(s.components(0.99) == 3);
  CHECK(s.components(0.9999) == 4);
}

TEST_CASE("k never exceeds O and never decreases as T grows", "[analysis][pca]") {
  const uint64_t seed = GENERATE(1, 2, 3, 4, 5);
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> e(0.3);
  const int d = 3 + static_cast<int>(seed * 5);
  Eigen::VectorXd lambda(d);
  for (int i = 0; i < d; ++i) lambda[i] = e(rng);
  const Eigen::MatrixXd q = random_orthogonal(d, seed);
  const auto s = pca_spectrum(q * lambda.asDiagonal() * q.transpose());
  int previous = 0;
  for (double t = 0.05; t <= 1.0; t += 0.05) {
    const int k = s.components(t);
    CHECK(k <= d);
    CHECK(k >= previous);
    previous = k;
  }
  CHECK_THROWS(s.components(0.0));
  CHECK(pca_spectrum(Eigen::MatrixXd::Zero(3, 3)).components(0.99) == 0);
}

TEST_CASE("channel-major (NCHW) input gives the covariance of its position rows",
          "[analysis][pca]") {
  // 5 samples x 3 channels x 7 positions; rows are (sample, position) pairs.
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g(1.0f, 2.0f);
  const int samples = 5, channels = 3, positions = 7;
  std::vector<float> nchw(samples * channels * positions);
  for (auto& v : nchw) v = g(rng);
  nchw[3] += 10;  // an offset on one sample's channel: the merge must handle unequal means
  Eigen::MatrixXd rows(samples * positions, channels);
  for (int s = 0; s < samples; ++s)
    for (int c = 0; c < channels; ++c)
      for (int p = 0; p < positions; ++p)
        rows(s * positions + p, c) = nchw[(s * channels + c) * positions + p];
  StreamingCovariance a(channels), b(channels);
  a.add(rows);
  b.add_channel_major(nchw.data(), samples, positions);
  CHECK(b.count() == samples * positions);
  CHECK((a.covariance() - b.covariance()).cwiseAbs().maxCoeff() < 1e-4);
  CHECK((a.mean() - b.mean()).cwiseAbs().maxCoeff() < 1e-5);
}
