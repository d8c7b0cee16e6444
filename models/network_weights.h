// A trained network's weights as plain arrays, in the form a deployment format stores them: per
// weight layer its full-precision filters as floats, its quantized filters as level indices
// (codes) with a scale per filter, and the batch norm before it as the affine map evaluation
// applies. No torch types: the ONNX writer (models/onnx_writer.h) and the runtime read this.
#pragma once

#include <cstdint>
#include <vector>

namespace hybridnet::models {

/// One weight layer (architecture index order). Conv weights are [O, I, k, k] row-major, linear
/// weights [O, I]. The first `fp_filters` output filters are full precision (fp_weight); the
/// other O - fp_filters are quantized to `weight_bits`: weight = alpha[f] * q(code), q(c) =
/// 2 (c / n - 1/2) with n = 2^bits - 1 (binary: -1 or +1), exactly as training computed it.
/// Which inputs each part reads (FP, or quantized to input_bits) is the plan's precision.
struct LayerWeights {
  int fp_filters = 0;
  int weight_bits = 32;            ///< of the quantized filters
  std::vector<float> fp_weight;    ///< [fp_filters, I, k, k]
  std::vector<float> float_weight;  ///< [O - fp_filters, I, k, k] when weight_bits is 32 (inputs
                                   ///< quantized, weights not)
  std::vector<uint8_t> codes;      ///< [O - fp_filters, I, k, k], each in 0..n
  std::vector<float> alpha;        ///< [O - fp_filters]
  std::vector<float> bias;         ///< linear layers: [O]; convs: empty
  /// The batch norm on the layer's input (every layer but the stem) in evaluation mode, as the
  /// affine y = x * bn_scale + bn_shift per channel that LibTorch applies: scale = gamma /
  /// sqrt(var + eps), shift = beta - mean * scale (one fused multiply-add, as LibTorch's
  /// kernel). Empty for the stem.
  std::vector<float> bn_scale, bn_shift;
};

struct NetworkWeights {
  std::vector<LayerWeights> layers;  ///< indexed like Architecture::layers
};

}  // namespace hybridnet::models
