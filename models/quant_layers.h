// Quantized weight layers: QuantConv2d and QuantLinear. Each quantizes its own input (input_bits)
// and weights (weight_bits); with fp_fraction p, the first round(p * O) output filters run in full
// precision (FP weights on the FP input) and the rest quantized, in one module (intra-layer
// sectioning). Full-precision inputs go through `fp_activation` (ReLU on the main path,
// identity for the stem and shortcut convs); quantized inputs go straight to the quantizer, as in
// XNOR-Net's BN -> quantize -> conv block.
#pragma once

#include <torch/torch.h>

#include "models/precision.h"
#include "models/quantizer.h"

namespace hybridnet::models {

enum class FpActivation { kRelu, kIdentity };

struct QuantConv2dOptions {
  QuantConv2dOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, padding) = 0;
  TORCH_ARG(Precision, precision) = Precision::fp();
  TORCH_ARG(FpActivation, fp_activation) = FpActivation::kRelu;
  TORCH_ARG(QuantizerOptions, quantizer) = {};
};

/// Conv2d (no bias) with quantized inputs/weights and optional intra-layer sectioning.
class QuantConv2dImpl : public torch::nn::Cloneable<QuantConv2dImpl> {
 public:
  explicit QuantConv2dImpl(QuantConv2dOptions options);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  /// Weights as the forward pass uses them (alpha * Q(W) for the quantized filters).
  torch::Tensor effective_weight() const;

  QuantConv2dOptions options;
  int64_t fp_filters = 0;
  torch::Tensor weight;
};
TORCH_MODULE(QuantConv2d);

struct QuantLinearOptions {
  QuantLinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(Precision, precision) = Precision::fp();
  TORCH_ARG(FpActivation, fp_activation) = FpActivation::kRelu;
  TORCH_ARG(QuantizerOptions, quantizer) = {};
};

/// Linear (with FP bias) with quantized inputs/weights and optional intra-layer sectioning.
class QuantLinearImpl : public torch::nn::Cloneable<QuantLinearImpl> {
 public:
  explicit QuantLinearImpl(QuantLinearOptions options);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor effective_weight() const;

  QuantLinearOptions options;
  int64_t fp_filters = 0;
  torch::Tensor weight;
  torch::Tensor bias;
};
TORCH_MODULE(QuantLinear);

}  // namespace hybridnet::models
