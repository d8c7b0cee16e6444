// Quantizers, STE gradients, alpha and intra-layer sectioning against hand-computed values.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "models/quant_layers.h"
#include "models/quantizer.h"

using namespace hybridnet::models;

namespace {
std::vector<float> values(const torch::Tensor& t) {
  auto c = t.contiguous().to(torch::kFloat32);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}
}  // namespace

TEST_CASE("sign forward maps 0 to +1 and its STE passes gradient only where |x| <= 1",
          "[models][quantizer]") {
  auto x = torch::tensor({-2.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 2.0f}).requires_grad_();
  auto y = sign_ste(x);
  CHECK(values(y) == std::vector<float>{-1, -1, -1, 1, 1, 1, 1});
  y.sum().backward();
  CHECK(values(x.grad()) == std::vector<float>{0, 1, 1, 1, 1, 1, 0});
}

TEST_CASE("q_k levels match eq. 3 (rounded) computed by hand for k = 1, 2, 4",
          "[models][quantizer]") {
  // k = 1: round((x+1)/2) is 0 on [-1, 0) and 1 on [0, 1]: q_1 is sign.
  CHECK(values(qk_levels(torch::tensor({-1.0f, -0.5f, -0.01f, 0.0f, 0.99f, 1.0f}), 1)) ==
        std::vector<float>{-1, -1, -1, 1, 1, 1});
  // k = 2: round(3 (x+1) / 2) -> {-1, -1/3, 1/3, 1}, boundaries at -2/3, 0, 2/3
  auto q2 = values(qk_levels(torch::tensor({-1.0f, -0.7f, -0.6f, -0.1f, 0.1f, 0.6f, 0.7f, 1.0f}), 2));
  const std::vector<double> e2 = {-1, -1, -1.0 / 3, -1.0 / 3, 1.0 / 3, 1.0 / 3, 1, 1};
  for (size_t i = 0; i < e2.size(); ++i) CHECK(q2[i] == Catch::Detail::Approx(e2[i]));
  // Symmetric: q_k(-x) = -q_k(x) away from the boundaries.
  auto xs = torch::tensor({0.1f, 0.3f, 0.5f, 0.9f});
  CHECK(torch::allclose(qk_levels(-xs, 2), -qk_levels(xs, 2)));
  // k = 4: 2 (round(15 (x+1) / 2) / 15 - 1/2)
  auto q4 = values(qk_levels(torch::tensor({-1.0f, 0.0f, 0.5f, 1.0f}), 4));
  const std::vector<double> e4 = {-1, 1.0 / 15, 7.0 / 15, 1};
  for (size_t i = 0; i < e4.size(); ++i) CHECK(q4[i] == Catch::Detail::Approx(e4[i]));
  // 2^k distinct levels over [-1, 1]
  for (int k : {2, 3, 4}) {
    auto levels = std::get<0>(at::_unique(qk_levels(torch::linspace(-1, 1, 1001), k)));
    CHECK(levels.numel() == (1 << k));
  }
}

TEST_CASE("k-bit input quantizer clamps to [-1, 1], its gradient is clipped there by default",
          "[models][quantizer]") {
  auto x = torch::tensor({-3.0f, -1.0f, -0.3f, 0.4f, 1.0f, 3.0f}).requires_grad_();
  auto y = quantize_input(x, 2);
  auto v = values(y);
  const std::vector<double> expected = {-1, -1, -1.0 / 3, 1.0 / 3, 1, 1};
  for (size_t i = 0; i < expected.size(); ++i) CHECK(v[i] == Catch::Detail::Approx(expected[i]));
  y.sum().backward();
  CHECK(values(x.grad()) == std::vector<float>{0, 1, 1, 1, 1, 0});
  CHECK(quantize_input(x, 32).equal(x));

  SECTION("identity gradient (the PCA paper's text) when asked for") {
    x.grad().zero_();
    QuantizerOptions o;
    o.kbit_input_grad = KbitInputGrad::kIdentity;
    auto yi = quantize_input(x, 2, o);
    CHECK(yi.equal(y));  // the forward pass does not depend on the option
    yi.sum().backward();
    CHECK(values(x.grad()) == std::vector<float>{1, 1, 1, 1, 1, 1});
  }
}

TEST_CASE("alpha is the mean absolute weight of each output filter", "[models][quantizer]") {
  auto w = torch::tensor({1.0f, -2.0f, 3.0f, -4.0f, 0.5f, 0.5f, -0.5f, -0.5f}).view({2, 1, 2, 2});
  CHECK(values(weight_alpha(w)) == std::vector<float>{2.5f, 0.5f});
  auto wq = values(quantize_weight(w, 1));
  CHECK(wq == std::vector<float>{2.5f, -2.5f, 2.5f, -2.5f, 0.5f, 0.5f, -0.5f, -0.5f});
}

TEST_CASE("k-bit weights on the max grid are alpha * q_k(W / max|W|) with the least-squares alpha",
          "[models][quantizer]") {
  // W / max|W| = [0.25, -0.5, 1, -1] -> q_2 = [1/3, -1/3, 1, -1] (a small positive weight stays
  // positive); alpha = <W,Q>/<Q,Q> = (0.2/3 + 0.4/3 + 0.8 + 0.8) / (2/9 + 2)
  auto w = torch::tensor({0.2f, -0.4f, 0.8f, -0.8f}).view({1, 4});
  const double alpha = (0.2 / 3 + 0.4 / 3 + 0.8 + 0.8) / (2.0 / 9 + 2);
  QuantizerOptions o;
  o.kbit_weight_scale = KbitWeightScale::kMax;
  auto wq = values(quantize_weight(w, 2, o));
  const std::vector<double> expected = {alpha / 3, -alpha / 3, alpha, -alpha};
  for (size_t i = 0; i < 4; ++i) CHECK(wq[i] == Catch::Detail::Approx(expected[i]));
}

TEST_CASE("k-bit weights on the mse grid: exact on a grid, an outlier case computed by hand",
          "[models][quantizer]") {
  // Weights that lie on the 2-bit grid of scale 3 ({-3, -1, 1, 3}) are reproduced exactly.
  auto on_grid = torch::tensor({1.0f, -1.0f, 3.0f, -3.0f, 1.0f, -1.0f}).view({1, 6});
  CHECK(torch::allclose(quantize_weight(on_grid, 2), on_grid, 1e-6, 1e-6));
  CHECK(kbit_weight_scale(on_grid, 2, KbitWeightScale::kMse).item<float>() ==
        Catch::Detail::Approx(3.0));

  // Twelve weights at +-1 and one at 10. Squared errors of both grids by hand:
  //   max: Q = [+-1/3 x12, 1], alpha = (12 * 1/3 + 10) / (12/9 + 1) = 6, so the twelve map to
  //        +-2 (error 12 * 1) and the outlier to 6 (error 16): total 28.
  //   mse: from s0 = min(1.872 * mean|W|, 10) = 1.872 * 22/13 = 3.168: W/s0 = +-0.316 -> +-1/3,
  //        10/s0 -> 1 (clamped); refit s = (12 * 1/3 + 10) / (12/9 + 1) = 6 -> same Q -> fixed
  //        point at s = 6: the same grid as max here; both give error 28.
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[i] = i % 2 ? -1.0f : 1.0f;
  v.push_back(10.0f);
  auto outlier = torch::tensor(v).view({1, 13});
  auto err = [&](KbitWeightScale sc) {
    QuantizerOptions o;
    o.kbit_weight_scale = sc;
    return (quantize_weight(outlier, 2, o) - outlier).pow(2).sum().item<double>();
  };
  CHECK(err(KbitWeightScale::kMax) == Catch::Detail::Approx(28.0));
  CHECK(err(KbitWeightScale::kMse) == Catch::Detail::Approx(28.0));
}

TEST_CASE("k-bit mse grid: within 2% of the brute-force best scale on Gaussian filters",
          "[models][quantizer]") {
  torch::manual_seed(7);
  const auto w = torch::randn({16, 64, 3, 3});
  for (int bits : {2, 3, 4}) {
    const auto dims = std::vector<int64_t>{1, 2, 3};
    auto error_at = [&](const torch::Tensor& s) {  // squared error per filter, LSQ alpha
      const auto q = qk_levels((w / s).clamp(-1.0, 1.0), bits);
      const auto alpha = (w * q).sum(dims, true) / (q * q).sum(dims, true);
      return (w - alpha * q).pow(2).sum(dims);
    };
    const auto mse = error_at(kbit_weight_scale(w, bits, KbitWeightScale::kMse));
    const auto max = error_at(kbit_weight_scale(w, bits, KbitWeightScale::kMax));
    // Brute force: the best of 400 scales between 0.05 and 1 times max|W|, per filter.
    const auto max_abs = w.abs().amax(dims, true);
    auto best = torch::full({16}, 1e30);
    for (int i = 1; i <= 400; ++i) best = torch::minimum(best, error_at(max_abs * (i / 400.0)));
    INFO("bits " << bits);
    // Measured: 1.00003, 1.003, 1.016 of the best for 2, 3, 4 bits; the max grid 2.25, 1.86, 1.43.
    CHECK(mse.sum().item<double>() <= 1.02 * best.sum().item<double>());
    CHECK((mse < max).all().item<bool>());
  }
}

TEST_CASE("weight STE: gradients reach W unchanged, clipped at |W| > 1 for binary",
          "[models][quantizer]") {
  auto w = torch::tensor({0.3f, -1.5f, 0.7f, -0.2f}).view({1, 4}).requires_grad_();
  auto g = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({1, 4});
  (quantize_weight(w, 1) * g).sum().backward();
  CHECK(values(w.grad()) == std::vector<float>{1, 0, 3, 4});
  w.grad().zero_();
  (quantize_weight(w, 4) * g).sum().backward();
  CHECK(values(w.grad()) == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("alpha gradient (XNOR-Net): d(alpha sign W)/dW = alpha 1{|W| <= 1} + sign(W) / n",
          "[models][quantizer]") {
  QuantizerOptions o;
  o.alpha_grad = true;
  auto w = torch::tensor({0.3f, -1.5f, 0.7f, -0.2f}).view({1, 4}).requires_grad_();
  auto g = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({1, 4});
  auto out = quantize_weight(w, 1, o);
  // The forward pass is the same: alpha = (0.3 + 1.5 + 0.7 + 0.2) / 4 = 0.675.
  CHECK(torch::allclose(out, quantize_weight(w.detach(), 1)));
  (out * g).sum().backward();
  // sum_j g_j sign(W_j) = 1 - 2 + 3 - 4 = -2; dL/dW_i = 0.675 g_i 1{|W_i| <= 1} - 2 sign(W_i) / 4
  const std::vector<double> expected = {0.675 * 1 - 0.5, 0 + 0.5, 0.675 * 3 - 0.5, 0.675 * 4 + 0.5};
  auto grad = values(w.grad());
  for (size_t i = 0; i < 4; ++i) CHECK(grad[i] == Catch::Detail::Approx(expected[i]));
}

TEST_CASE("intra-layer sectioning: round(p*O) FP filters on the FP input, the rest binary",
          "[models][quantizer]") {
  torch::manual_seed(3);
  QuantConv2d conv(QuantConv2dOptions(4, 10, 3).padding(1).precision(Precision{1, 1, 0.3}));
  REQUIRE(conv->fp_filters == 3);
  auto x = torch::randn({2, 4, 6, 6});
  auto y = conv->forward(x);
  REQUIRE(y.sizes() == torch::IntArrayRef({2, 10, 6, 6}));
  const auto w = conv->weight.detach();
  auto fp_ref = torch::conv2d(torch::relu(x), w.slice(0, 0, 3), {}, 1, 1);
  auto wb = w.slice(0, 3);
  auto bin_w = wb.abs().mean({1, 2, 3}, true) * torch::where(wb >= 0, 1.0, -1.0);
  auto bin_ref = torch::conv2d(torch::where(x >= 0, 1.0, -1.0), bin_w, {}, 1, 1);
  CHECK(torch::allclose(y.slice(1, 0, 3), fp_ref, 1e-5, 1e-5));
  CHECK(torch::allclose(y.slice(1, 3), bin_ref, 1e-4, 1e-4));
  // The effective weights are what the forward pass used.
  CHECK(torch::allclose(conv->effective_weight().slice(0, 3), bin_w));
}

TEST_CASE("QuantLinear: FP is linear(relu(x)), binary uses sign inputs and alpha*sign weights",
          "[models][quantizer]") {
  torch::manual_seed(4);
  auto x = torch::randn({3, 5});
  QuantLinear fp(QuantLinearOptions(5, 2));
  CHECK(torch::allclose(fp->forward(x), torch::linear(torch::relu(x), fp->weight, fp->bias)));
  QuantLinear bin(QuantLinearOptions(5, 2).precision(Precision::binary()));
  auto w = bin->weight.detach();
  auto wq = w.abs().mean(1, true) * torch::where(w >= 0, 1.0, -1.0);
  auto ref = torch::linear(torch::where(x >= 0, 1.0, -1.0), wq, bin->bias);
  CHECK(torch::allclose(bin->forward(x), ref, 1e-5, 1e-5));
}

TEST_CASE("weight codes and alpha reproduce the quantized weights bit for bit",
          "[models][quantizer]") {
  // What an export stores (codes, alpha) must give exactly the weights training ran with, for
  // every bit width, both k-bit grids and both alpha gradients (the forward value is the same).
  torch::manual_seed(5);
  const auto w = torch::randn({6, 4, 3, 3}) * 0.1;
  for (int bits : {1, 2, 3, 4, 5, 8})
    for (auto scale : {KbitWeightScale::kMse, KbitWeightScale::kMax})
      for (bool alpha_grad : {false, true}) {
        INFO("bits " << bits << " alpha_grad " << alpha_grad);
        QuantizerOptions o;
        o.kbit_weight_scale = scale;
        o.alpha_grad = alpha_grad;
        const auto q = weight_codes(w, bits, o);
        CHECK(q.codes.scalar_type() == torch::kUInt8);
        CHECK(q.codes.max().item<int>() <= (1 << bits) - 1);
        const auto rebuilt = q.alpha * qk_from_codes(q.codes.to(torch::kFloat32), bits);
        const auto trained = quantize_weight(w.clone().requires_grad_(), bits, o).detach();
        CHECK(torch::equal(rebuilt, trained));
      }
}
