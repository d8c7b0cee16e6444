// Eigen-decomposition with Eigen's self-adjoint solver (O is at most a few hundred).
#include "analysis/pca.h"

#include <stdexcept>
#include <string>

namespace hybridnet::analysis {

int PcaSpectrum::components(double threshold) const {
  if (!(threshold > 0.0 && threshold <= 1.0))
    throw std::invalid_argument("PcaSpectrum::components(): threshold (" +
                                std::to_string(threshold) + ") must be in (0, 1]");
  if (eigenvalues.size() == 0 || eigenvalues.sum() <= 0.0) return 0;
  return components_at(cumulative_explained, threshold);
}

int components_at(const std::vector<double>& cumulative_explained, double threshold) {
  if (cumulative_explained.empty() || !(cumulative_explained.back() > 0.0)) return 0;
  // A relative tolerance so that T = 1 is reached despite round-off in the cumulative sum.
  for (size_t i = 0; i < cumulative_explained.size(); ++i)
    if (cumulative_explained[i] >= threshold - 1e-12) return static_cast<int>(i + 1);
  return static_cast<int>(cumulative_explained.size());
}

PcaSpectrum pca_spectrum(const Eigen::MatrixXd& covariance) {
  if (covariance.rows() != covariance.cols())
    throw std::invalid_argument("pca_spectrum(): covariance must be square");
  PcaSpectrum s;
  if (covariance.rows() == 0) return s;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance, Eigen::EigenvaluesOnly);
  if (solver.info() != Eigen::Success)
    throw std::runtime_error("pca_spectrum(): eigen solver failed");
  s.eigenvalues = solver.eigenvalues().reverse().cwiseMax(0.0);  // ascending -> descending
  const double total = s.eigenvalues.sum();
  double running = 0;
  for (Eigen::Index i = 0; i < s.eigenvalues.size(); ++i) {
    running += s.eigenvalues[i];
    s.cumulative_explained.push_back(total > 0 ? running / total : 0.0);
  }
  return s;
}

}  // namespace hybridnet::analysis
