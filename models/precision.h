// Precision of one weight layer: weight bits, input (activation) bits, and the fraction of output
// filters kept full precision (intra-layer sectioning). 1 = binary (sign, alpha), 2..8 = k-bit
// (q_k of the PCA paper, eq. 3), 32 = full precision.
#pragma once

#include <string>

namespace hybridnet::models {

constexpr int kFullPrecisionBits = 32;

/// True for the bit widths a layer may use: 1..8 or 32.
inline bool valid_bits(int bits) { return (bits >= 1 && bits <= 8) || bits == kFullPrecisionBits; }

/// Per-layer precision. With fp_fraction p > 0, round(p * O) output filters are full precision
/// (weights and inputs) and the rest use (weight_bits, input_bits).
struct Precision {
  int weight_bits = kFullPrecisionBits;
  int input_bits = kFullPrecisionBits;
  double fp_fraction = 0.0;

  static Precision fp() { return {}; }
  static Precision binary() { return {1, 1, 0.0}; }
  static Precision kbit(int k) { return {k, k, 0.0}; }

  /// True when no part of the layer is quantized.
  bool is_fp() const {
    return fp_fraction >= 1.0 ||
           (weight_bits == kFullPrecisionBits && input_bits == kFullPrecisionBits);
  }
  /// True when the (non-FP part of the) weights are quantized and so carry an alpha per filter.
  bool weights_quantized() const { return weight_bits < kFullPrecisionBits && fp_fraction < 1.0; }

  /// Short label for tables: "FP", "1/1", "2/2", "W1/A32", "1/1 p=0.10".
  std::string label() const;

  bool operator==(const Precision& o) const {
    return weight_bits == o.weight_bits && input_bits == o.input_bits &&
           fp_fraction == o.fp_fraction;
  }
  bool operator!=(const Precision& o) const { return !(*this == o); }
};

/// Number of full-precision output filters of a layer with `out_channels` filters: round(p * O).
int fp_filter_count(const Precision& p, int out_channels);

}  // namespace hybridnet::models
