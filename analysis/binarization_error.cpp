// Per-sample sums in double; ||I - b s||^2 = ||I||^2 - 2 b sum|I| + b^2 n with s = sign(I).
#include "analysis/binarization_error.h"

#include <cmath>

namespace hybridnet::analysis {

void BinarizationError::add(const float* data, int64_t samples, int64_t per_sample) {
  if (per_sample <= 0) return;
  const double n = static_cast<double>(per_sample);
  for (int64_t s = 0; s < samples; ++s) {
    const float* x = data + s * per_sample;
    double sum_sq = 0, sum_abs = 0;
    for (int64_t i = 0; i < per_sample; ++i) {
      sum_sq += double(x[i]) * x[i];
      sum_abs += std::fabs(x[i]);
    }
    // sign(0) = +1: |x - sign x| uses |x| for x != 0 and gives 1 at 0, which the identity
    // ||I||^2 - 2 sum|I| + n already does (0 - 0 + 1).
    sum_plain_ += (sum_sq - 2.0 * sum_abs + n) / n;
    const double beta = sum_abs / n;
    sum_scaled_ += (sum_sq - 2.0 * beta * sum_abs + beta * beta * n) / n;
  }
  samples_ += samples;
}

}  // namespace hybridnet::analysis
