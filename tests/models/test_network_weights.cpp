// Reading a trained network's weights out for deployment (models/network_weights_extract.h):
// FP filters, codes and alpha of quantized ones, and batch norms as LibTorch evaluates them.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "models/network.h"
#include "models/network_weights_extract.h"
#include "models/quant_layers.h"
#include "models/quantizer.h"

using namespace hybridnet::models;

namespace {

torch::Tensor tensor(const std::vector<float>& v, torch::IntArrayRef shape) {
  return torch::tensor(v).view(shape);
}

// A resnet8 with every kind of layer: sectioned binary, 2-bit, A-bit-only and W-bit-only ones.
HybridNet mixed_network() {
  auto plan = HybridPlan::from_json(
      {{"arch", "resnet8"},
       {"layers",
        {{{"name", "layer1.0.conv1"}, {"weight_bits", 1}, {"input_bits", 1}, {"fp_fraction", 0.25}},
         {{"name", "layer1.0.conv2"}, {"weight_bits", 2}, {"input_bits", 2}},
         {{"name", "layer2.0.conv1"}, {"weight_bits", 32}, {"input_bits", 4}},
         {{"name", "layer2.0.conv2"}, {"weight_bits", 1}, {"input_bits", 32}}}}},
      "plan");
  auto net = build_seeded_network(plan, 11, 1, 12, 12, 10);
  // Batch norms with running statistics of their own, as after training.
  net->train();
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 3; ++i) net->forward(torch::randn({16, 1, 12, 12}) * 2 + 0.5);
  net->eval();
  return net;
}

}  // namespace

TEST_CASE("extracted weights are the forward pass's weights", "[models][export]") {
  auto net = mixed_network();
  const auto weights = extract_network_weights(*net);
  const auto& arch = net->architecture();
  REQUIRE(weights.layers.size() == arch.layers.size());
  for (const auto& l : arch.layers) {
    INFO(l.name);
    const auto& w = weights.layers[l.index];
    auto* conv = dynamic_cast<QuantConv2dImpl*>(net->layer_module(l.index).get());
    auto* fc = dynamic_cast<QuantLinearImpl*>(net->layer_module(l.index).get());
    const torch::Tensor effective = conv ? conv->effective_weight() : fc->effective_weight();
    const auto shape = effective.sizes().vec();
    auto filters = [&](int64_t n) {
      auto s = shape;
      s[0] = n;
      return s;
    };
    const int64_t quantized = shape[0] - w.fp_filters;
    CHECK(w.fp_filters == (conv ? conv->fp_filters : fc->fp_filters));
    if (w.fp_filters > 0)
      CHECK(torch::equal(tensor(w.fp_weight, filters(w.fp_filters)),
                         effective.slice(0, 0, w.fp_filters)));
    if (quantized == 0) continue;
    const auto rest = effective.slice(0, w.fp_filters);
    if (!w.codes.empty()) {
      const auto codes = torch::tensor(std::vector<int64_t>(w.codes.begin(), w.codes.end()))
                             .to(torch::kFloat32)
                             .view(filters(quantized));
      std::vector<int64_t> alpha_shape(shape.size(), 1);
      alpha_shape[0] = quantized;
      const auto rebuilt =
          tensor(w.alpha, alpha_shape) * qk_from_codes(codes, w.weight_bits);
      CHECK(torch::equal(rebuilt, rest));
    } else {
      CHECK(torch::equal(tensor(w.float_weight, filters(quantized)), rest));
    }
  }
  CHECK(weights.layers[arch.find("layer1.0.conv1")].fp_filters == 4);
  CHECK(weights.layers[arch.find("layer1.0.conv2")].weight_bits == 2);
  CHECK(weights.layers[arch.find("layer2.0.conv1")].float_weight.size() == 32 * 16 * 9);
  CHECK(weights.layers[arch.find("fc")].bias.size() == 10);
}

TEST_CASE("extracted batch norms give LibTorch's evaluation-mode output", "[models][export]") {
  auto net = mixed_network();
  const auto weights = extract_network_weights(*net);
  const int index = net->architecture().find("layer2.0.conv2");
  auto norm = net->norm_module(index);
  REQUIRE(norm);
  CHECK(net->norm_module(net->architecture().stem) == nullptr);
  const auto& w = weights.layers[index];
  const int64_t c = static_cast<int64_t>(w.bn_scale.size());
  REQUIRE(c == 32);
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({4, c, 6, 6}) * 3;
  auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(norm.get());
  REQUIRE(bn != nullptr);
  const auto expected = bn->forward(x);
  // ATen's kernel computes fma(x, scale, shift): emulated in double (the product of two floats
  // is exact there), it matches but for the rare double rounding; two float operations (ONNX's
  // Mul then Add) differ by at most an ulp.
  const auto scale = tensor(w.bn_scale, {c, 1, 1}), shift = tensor(w.bn_shift, {c, 1, 1});
  const auto fused = (x.to(torch::kFloat64) * scale.to(torch::kFloat64) +
                      shift.to(torch::kFloat64))
                         .to(torch::kFloat32);
  CHECK((fused != expected).sum().item<int64_t>() <= x.numel() / 1000);
  CHECK(torch::allclose(x * scale + shift, expected, 1e-6, 1e-6));
}
