// Forward passes of the quantized layers; conv and linear share the sectioning logic.
#include "models/quant_layers.h"

#include <cmath>

#include "models/quantizer.h"

namespace hybridnet::models {

namespace {

using Op = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;

// Runs `op` on the FP filters with the FP input and on the quantized filters with the quantized
// input, and concatenates the outputs along the filter dimension.
torch::Tensor sectioned_forward(const torch::Tensor& x, const torch::Tensor& weight,
                                const Precision& p, int64_t fp_filters, FpActivation act,
                                const QuantizerOptions& qo, const Op& op) {
  auto fp_input = [&] { return act == FpActivation::kRelu ? torch::relu(x) : x; };
  const int64_t out = weight.size(0);
  if (fp_filters >= out) return op(fp_input(), weight);
  const auto q_input =
      p.input_bits >= kFullPrecisionBits ? fp_input() : quantize_input(x, p.input_bits, qo);
  const auto q_weight = quantize_weight(weight.slice(0, fp_filters), p.weight_bits, qo);
  if (fp_filters == 0) return op(q_input, q_weight);
  return torch::cat({op(fp_input(), weight.slice(0, 0, fp_filters)), op(q_input, q_weight)}, 1);
}

torch::Tensor effective(const torch::Tensor& weight, const Precision& p, int64_t fp_filters,
                        const QuantizerOptions& qo) {
  torch::NoGradGuard guard;
  if (fp_filters >= weight.size(0)) return weight.clone();
  const auto q = quantize_weight(weight.slice(0, fp_filters), p.weight_bits, qo);
  return torch::cat({weight.slice(0, 0, fp_filters), q}, 0);
}

}  // namespace

QuantConv2dImpl::QuantConv2dImpl(QuantConv2dOptions options_) : options(std::move(options_)) {
  reset();
}

void QuantConv2dImpl::reset() {
  fp_filters = fp_filter_count(options.precision(), static_cast<int>(options.out_channels()));
  weight =
      register_parameter("weight", torch::empty({options.out_channels(), options.in_channels(),
                                                 options.kernel_size(), options.kernel_size()}));
  torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut, torch::kReLU);
}

torch::Tensor QuantConv2dImpl::forward(const torch::Tensor& x) {
  const auto stride = options.stride(), padding = options.padding();
  return sectioned_forward(x, weight, options.precision(), fp_filters, options.fp_activation(),
                           options.quantizer(),
                           [&](const torch::Tensor& in, const torch::Tensor& w) {
                             return torch::conv2d(in, w, {}, stride, padding);
                           });
}

torch::Tensor QuantConv2dImpl::effective_weight() const {
  return effective(weight, options.precision(), fp_filters, options.quantizer());
}

QuantLinearImpl::QuantLinearImpl(QuantLinearOptions options_) : options(std::move(options_)) {
  reset();
}

void QuantLinearImpl::reset() {
  fp_filters = fp_filter_count(options.precision(), static_cast<int>(options.out_features()));
  weight =
      register_parameter("weight", torch::empty({options.out_features(), options.in_features()}));
  bias = register_parameter("bias", torch::empty({options.out_features()}));
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  const double bound = 1.0 / std::sqrt(double(options.in_features()));
  torch::nn::init::uniform_(bias, -bound, bound);
}

torch::Tensor QuantLinearImpl::forward(const torch::Tensor& x) {
  return sectioned_forward(
             x, weight, options.precision(), fp_filters, options.fp_activation(),
             options.quantizer(),
             [](const torch::Tensor& in, const torch::Tensor& w) { return torch::linear(in, w); }) +
         bias;
}

torch::Tensor QuantLinearImpl::effective_weight() const {
  return effective(weight, options.precision(), fp_filters, options.quantizer());
}

}  // namespace hybridnet::models
