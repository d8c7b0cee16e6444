// Streaming mean and covariance of row vectors in double precision (Chan et al.'s pairwise
// update), batch by batch: memory is O(d^2) whatever the number of rows, which is what lets the
// PCA profile run over any number of activations.
#pragma once

#include <Eigen/Dense>
#include <cstdint>

namespace hybridnet::analysis {

class StreamingCovariance {
 public:
  explicit StreamingCovariance(int dim = 0);

  /// Adds `rows` row vectors of `dim` floats each, stored row after row (row-major).
  void add(const float* data, int64_t rows);
  /// Adds `samples` blocks of `dim` x `positions` floats (NCHW conv outputs: every position of
  /// every sample is a row vector of the `dim` channels). Each block's centred scatter is
  /// summed in float (at most `positions` terms per sum) and merged in double; blocks are spread
  /// over the cores with TBB.
  void add_channel_major(const float* data, int64_t samples, int64_t positions);
  /// Adds the rows of a matrix (one sample per row).
  void add(const Eigen::Ref<const Eigen::MatrixXd>& rows);

  int dim() const { return static_cast<int>(mean_.size()); }
  int64_t count() const { return n_; }
  const Eigen::VectorXd& mean() const { return mean_; }
  /// Sample covariance (divides by n - 1; zero for fewer than two rows).
  Eigen::MatrixXd covariance() const;

 private:
  void merge(int64_t m, const Eigen::VectorXd& batch_mean, const Eigen::MatrixXd& batch_scatter);
  void merge(const StreamingCovariance& other);

  int64_t n_ = 0;
  Eigen::VectorXd mean_;
  Eigen::MatrixXd scatter_;  // sum of outer products of deviations from the mean
};

}  // namespace hybridnet::analysis
