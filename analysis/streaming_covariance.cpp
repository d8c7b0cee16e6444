// Pairwise merge: with batch mean b, batch scatter S_b and delta = b - mean,
//   mean' = mean + delta * m / (n + m),  S' = S + S_b + delta delta^T * n m / (n + m).
#include "analysis/streaming_covariance.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <stdexcept>

namespace hybridnet::analysis {

StreamingCovariance::StreamingCovariance(int dim)
    : mean_(Eigen::VectorXd::Zero(dim)), scatter_(Eigen::MatrixXd::Zero(dim, dim)) {}

void StreamingCovariance::add(const float* data, int64_t rows) {
  if (rows <= 0) return;
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  // Chunks bound the double copy to a few MB whatever the batch size.
  constexpr int64_t kChunkElements = 1 << 20;
  const int64_t chunk = std::max<int64_t>(1, kChunkElements / std::max(1, dim()));
  for (int64_t start = 0; start < rows; start += chunk) {
    const int64_t m = std::min(chunk, rows - start);
    Eigen::Map<const RowMajor> x(data + start * dim(), m, dim());
    add(x.cast<double>());
  }
}

void StreamingCovariance::add(const Eigen::Ref<const Eigen::MatrixXd>& rows) {
  if (rows.rows() == 0) return;
  if (rows.cols() != dim())
    throw std::invalid_argument("StreamingCovariance::add(): rows have " +
                                std::to_string(rows.cols()) + " columns, expected " +
                                std::to_string(dim()));
  const Eigen::VectorXd batch_mean = rows.colwise().mean().transpose();
  const Eigen::MatrixXd centred = rows.rowwise() - batch_mean.transpose();
  Eigen::MatrixXd scatter = Eigen::MatrixXd::Zero(dim(), dim());
  scatter.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose());
  scatter = scatter.selfadjointView<Eigen::Lower>();
  merge(rows.rows(), batch_mean, scatter);
}

void StreamingCovariance::merge(int64_t m, const Eigen::VectorXd& batch_mean,
                                const Eigen::MatrixXd& batch_scatter) {
  const double n = static_cast<double>(n_), total = static_cast<double>(n_ + m);
  const Eigen::VectorXd delta = batch_mean - mean_;
  mean_ += delta * (double(m) / total);
  scatter_ += batch_scatter + delta * delta.transpose() * (n * double(m) / total);
  n_ += m;
}

void StreamingCovariance::merge(const StreamingCovariance& other) {
  if (other.n_ == 0) return;
  if (n_ == 0) {
    *this = other;
    return;
  }
  merge(other.n_, other.mean_, other.scatter_);
}

void StreamingCovariance::add_channel_major(const float* data, int64_t samples, int64_t positions) {
  if (samples <= 0 || positions <= 0) return;
  const int d = dim();
  using Block = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const StreamingCovariance total = tbb::parallel_reduce(
      tbb::blocked_range<int64_t>(0, samples), StreamingCovariance(d),
      [&](const tbb::blocked_range<int64_t>& range, StreamingCovariance acc) {
        Eigen::MatrixXf centred(d, positions);
        Eigen::MatrixXf scatter(d, d), full(d, d);
        for (int64_t s = range.begin(); s < range.end(); ++s) {
          Eigen::Map<const Block> y(data + s * d * positions, d, positions);
          const Eigen::VectorXd mean = y.cast<double>().rowwise().mean();
          centred = y.colwise() - mean.cast<float>();
          scatter.setZero();
          scatter.selfadjointView<Eigen::Lower>().rankUpdate(centred);
          full = scatter.selfadjointView<Eigen::Lower>();
          acc.merge(positions, mean, full.cast<double>());
        }
        return acc;
      },
      [](StreamingCovariance a, const StreamingCovariance& b) {
        a.merge(b);
        return a;
      });
  merge(total);
}

Eigen::MatrixXd StreamingCovariance::covariance() const {
  if (n_ < 2) return Eigen::MatrixXd::Zero(dim(), dim());
  return scatter_ / double(n_ - 1);
}

}  // namespace hybridnet::analysis
