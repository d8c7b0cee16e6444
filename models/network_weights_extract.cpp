#include "models/network_weights_extract.h"

#include <cmath>

#include "models/error.h"
#include "models/quant_layers.h"
#include "models/quantizer.h"

namespace hybridnet::models {

namespace {

std::vector<float> floats(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// The affine map LibTorch's CPU batch norm applies in evaluation mode, computed in float as
// ATen's batch_norm_cpu_collect_linear_and_constant_terms does: invstd = 1 / sqrt(var + eps),
// scale = invstd * gamma, shift = beta - mean * scale with the multiply-add fused (Debian's
// LibTorch is built with FMA contraction; its kernel then computes fma(x, scale, shift), which
// these coefficients reproduce bit for bit).
void batch_norm_affine(torch::nn::Module& norm, LayerWeights& out) {
  const auto params = norm.named_parameters(false);
  const auto buffers = norm.named_buffers(false);
  const auto gamma = floats(params["weight"]), beta = floats(params["bias"]);
  const auto mean = floats(buffers["running_mean"]), var = floats(buffers["running_var"]);
  double eps = 1e-5;
  if (auto* bn2 = dynamic_cast<torch::nn::BatchNorm2dImpl*>(&norm)) eps = bn2->options.eps();
  if (auto* bn1 = dynamic_cast<torch::nn::BatchNorm1dImpl*>(&norm)) eps = bn1->options.eps();
  out.bn_scale.resize(gamma.size());
  out.bn_shift.resize(gamma.size());
  for (size_t c = 0; c < gamma.size(); ++c) {
    const float invstd = 1 / std::sqrt(var[c] + static_cast<float>(eps));
    out.bn_scale[c] = invstd * gamma[c];
    out.bn_shift[c] = std::fma(-mean[c], out.bn_scale[c], beta[c]);
  }
}

LayerWeights layer_weights(const torch::Tensor& weight, const Precision& p, int64_t fp_filters,
                           const QuantizerOptions& quantizer) {
  torch::NoGradGuard no_grad;
  LayerWeights out;
  const int64_t filters = weight.size(0);
  out.fp_filters = static_cast<int>(std::min(fp_filters, filters));
  out.fp_weight = floats(weight.slice(0, 0, out.fp_filters));
  if (out.fp_filters < filters) {
    out.weight_bits = p.weight_bits;
    const auto quantized = weight.slice(0, out.fp_filters).detach().to(torch::kCPU);
    if (p.weight_bits >= kFullPrecisionBits) {  // FP weights on quantized inputs
      out.float_weight = floats(quantized);
      return out;
    }
    const auto q = weight_codes(quantized, p.weight_bits, quantizer);
    const auto codes = q.codes.contiguous();
    out.codes.assign(codes.data_ptr<uint8_t>(), codes.data_ptr<uint8_t>() + codes.numel());
    out.alpha = floats(q.alpha.flatten());
  }
  return out;
}

}  // namespace

NetworkWeights extract_network_weights(const HybridNetImpl& net) {
  NetworkWeights weights;
  for (const auto& l : net.architecture().layers) {
    const auto module = net.layer_module(l.index);
    LayerWeights w;
    if (auto* conv = dynamic_cast<QuantConv2dImpl*>(module.get())) {
      w = layer_weights(conv->weight, conv->options.precision(), conv->fp_filters,
                        conv->options.quantizer());
    } else if (auto* fc = dynamic_cast<QuantLinearImpl*>(module.get())) {
      w = layer_weights(fc->weight, fc->options.precision(), fc->fp_filters,
                        fc->options.quantizer());
      w.bias = floats(fc->bias);
    } else {
      throw ConfigError("layer " + l.name + ": not a quantized conv or linear layer");
    }
    if (const auto norm = net.norm_module(l.index)) batch_norm_affine(*norm, w);
    weights.layers.push_back(std::move(w));
  }
  return weights;
}

}  // namespace hybridnet::models
