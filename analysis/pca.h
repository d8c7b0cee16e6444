// PCA of one layer's activations (PCA paper, section 3.1): eigenvalues of the covariance of the
// M*H*W x O matrix of pre-activation outputs, their cumulative explained-variance curve, and
// k = the smallest number of components explaining at least a fraction T of the variance.
// The paper writes eq. 2 with lambda^2 while eq. 1 sums variances; the eigenvalues of the
// covariance ARE the variances along the principal axes, so we use them unsquared.
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace hybridnet::analysis {

struct PcaSpectrum {
  Eigen::VectorXd eigenvalues;               ///< descending, negatives from round-off clamped to 0
  std::vector<double> cumulative_explained;  ///< [i] = fraction explained by the first i+1

  /// Smallest k with cumulative_explained[k-1] >= threshold; 0 when the layer has no variance.
  int components(double threshold) const;
};

/// Smallest k with cumulative_explained[k-1] >= threshold, from a stored curve (0 when empty or
/// without variance).
int components_at(const std::vector<double>& cumulative_explained, double threshold);

/// Spectrum of a symmetric covariance matrix.
PcaSpectrum pca_spectrum(const Eigen::MatrixXd& covariance);

}  // namespace hybridnet::analysis
