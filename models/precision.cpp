// Precision labels and the intra-layer split rule.
#include "models/precision.h"

#include <cmath>
#include <cstdio>

namespace hybridnet::models {

std::string Precision::label() const {
  if (is_fp()) return "FP";
  std::string base = weight_bits == input_bits
                         ? std::to_string(weight_bits) + "/" + std::to_string(input_bits)
                         : "W" + std::to_string(weight_bits) + "/A" + std::to_string(input_bits);
  if (fp_fraction > 0.0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " p=%.2f", fp_fraction);
    base += buf;
  }
  return base;
}

int fp_filter_count(const Precision& p, int out_channels) {
  if (p.fp_fraction >= 1.0 ||
      (p.weight_bits == kFullPrecisionBits && p.input_bits == kFullPrecisionBits))
    return out_channels;
  return static_cast<int>(std::lround(p.fp_fraction * out_channels));
}

}  // namespace hybridnet::models
