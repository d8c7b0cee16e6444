// Input binarisation error of a layer (partition paper, eq. 2): E = ||I - sign(I)||^2 / n for each
// sample's input I of n elements, averaged over the samples. The scaled variant uses
// beta sign(I) with beta = mean |I| of the sample (XNOR-Net's input scaling).
#pragma once

#include <cstdint>

namespace hybridnet::analysis {

class BinarizationError {
 public:
  /// Adds `samples` inputs of `per_sample` floats each, stored one after the other.
  void add(const float* data, int64_t samples, int64_t per_sample);

  int64_t samples() const { return samples_; }
  /// Mean over samples of ||I - sign(I)||^2 / n (sign(0) = +1).
  double error() const { return samples_ ? sum_plain_ / samples_ : 0.0; }
  /// Mean over samples of ||I - beta sign(I)||^2 / n, beta = mean |I|.
  double scaled_error() const { return samples_ ? sum_scaled_ / samples_ : 0.0; }

 private:
  double sum_plain_ = 0, sum_scaled_ = 0;
  int64_t samples_ = 0;
};

}  // namespace hybridnet::analysis
