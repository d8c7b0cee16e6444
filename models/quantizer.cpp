// Quantizer implementations. Activation quantizers are custom autograd functions: the
// x + (q(x) - x).detach() formulation costs about seven elementwise passes over every activation
// and made XNOR training steps ~3x slower than FP ones; these cost two forward and one backward.
#include "models/quantizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hybridnet::models {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The gradient of clamp(x, -1, 1): grad where |x| <= 1. One fused kernel: hardtanh_backward
// passes grad where lo < x < hi (strictly), so the bounds are the floats just past -1 and 1; for
// float32 x this is exactly |x| <= 1.
torch::Tensor clipped_grad(const torch::Tensor& grad, const torch::Tensor& x) {
  static const double kLo = std::nextafter(-1.0f, -2.0f), kHi = std::nextafter(1.0f, 2.0f);
  return at::hardtanh_backward(grad, x, kLo, kHi);
}

// sign(x) with sign(0) = +1; backward: gradient where |x| <= 1 (the clamp's derivative).
struct SignSte : torch::autograd::Function<SignSte> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x) {
    ctx->save_for_backward({x});
    // (x >= 0) * 2 - 1 in place: torch::where with scalars takes a slow type-promotion path.
    // The comparison writes straight into a float tensor: a bool result plus .to() costs a
    // slow conversion pass.
    auto out = torch::empty_like(x);
    at::ge_out(out, x, 0);
    return out.mul_(2).sub_(1);
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grad) {
    return {clipped_grad(grad[0], ctx->get_saved_variables()[0])};
  }
};

// q_k(clamp(x, -1, 1)); backward: clipped like sign's, or the identity.
struct QkSte : torch::autograd::Function<QkSte> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, int64_t k,
                               bool clipped) {
    ctx->saved_data["clipped"] = clipped;
    if (clipped) ctx->save_for_backward({x});
    return qk_levels(x.clamp(-1.0, 1.0), static_cast<int>(k));
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grad) {
    if (!ctx->saved_data["clipped"].toBool()) return {grad[0], {}, {}};
    return {clipped_grad(grad[0], ctx->get_saved_variables()[0]), {}, {}};
  }
};

}  // namespace

torch::Tensor sign_ste(const torch::Tensor& x) { return SignSte::apply(x); }

torch::Tensor qk_codes(const torch::Tensor& x, int k) {
  const double n = double((1 << k) - 1);
  // Rounding to the nearest level (see quantizer.h for why not the literal floor).
  return torch::floor(n * (x + 1.0) / 2.0 + 0.5);
}

torch::Tensor qk_from_codes(const torch::Tensor& codes, int k) {
  const double n = double((1 << k) - 1);
  return 2.0 * (codes / n - 0.5);
}

torch::Tensor qk_levels(const torch::Tensor& x, int k) { return qk_from_codes(qk_codes(x, k), k); }

torch::Tensor quantize_input(const torch::Tensor& x, int bits, const QuantizerOptions& o) {
  if (bits >= 32) return x;
  if (bits == 1) return sign_ste(x);
  return QkSte::apply(x, static_cast<int64_t>(bits), o.kbit_input_grad == KbitInputGrad::kClipped);
}

namespace {
std::vector<int64_t> filter_dims(const torch::Tensor& w) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < w.dim(); ++d) dims.push_back(d);
  return dims;
}
}  // namespace

torch::Tensor weight_alpha(const torch::Tensor& w) {
  return w.abs().mean(filter_dims(w), /*keepdim=*/true);
}

namespace {
// Outer level of the k-bit uniform grid (s, in units of mean |W|) that minimises the squared error
// of Gaussian weights: (2^k - 1) / 2 times the optimal step of Max (1960), divided by
// E|W| / sigma = sqrt(2 / pi). Only the starting point of the iterations below.
double gaussian_grid_scale(int bits) {
  static const double kScale[] = {0, 1.0, 1.872, 2.571, 3.151, 3.654, 4.110, 4.528, 4.922};
  return kScale[std::clamp(bits, 1, 8)];
}

// Least-squares alpha of W ~ alpha * Q per filter; 0 for an all-zero filter.
torch::Tensor lsq_alpha(const torch::Tensor& w, const torch::Tensor& q,
                        const std::vector<int64_t>& dims) {
  return (w * q).sum(dims, true) / (q * q).sum(dims, true).clamp_min(1e-24);
}
}  // namespace

torch::Tensor kbit_weight_scale(const torch::Tensor& w, int bits, KbitWeightScale scale) {
  torch::NoGradGuard no_grad;
  const auto dims = filter_dims(w);
  const auto max_abs = w.abs().amax(dims, /*keepdim=*/true).clamp_min(1e-12);
  if (scale == KbitWeightScale::kMax) return max_abs;
  auto s = torch::minimum(gaussian_grid_scale(bits) * weight_alpha(w), max_abs).clamp_min(1e-12);
  for (int it = 0; it < 3; ++it)
    s = lsq_alpha(w, qk_levels((w / s).clamp(-1.0, 1.0), bits), dims).clamp_min(1e-12);
  return s;
}

WeightCodes weight_codes(const torch::Tensor& w, int bits, const QuantizerOptions& o) {
  torch::NoGradGuard no_grad;
  if (bits == 1) return {(w >= 0).to(torch::kUInt8), weight_alpha(w)};
  const auto scale = kbit_weight_scale(w, bits, o.kbit_weight_scale);
  const auto codes = qk_codes((w / scale).clamp(-1.0, 1.0), bits);
  return {codes.to(torch::kUInt8), lsq_alpha(w, qk_from_codes(codes, bits), filter_dims(w))};
}

// The straight-through estimators below are written value + (g - g.detach()): the forward value
// is exactly `value` (g - g.detach() is exactly 0), so an exported network's alpha * Q
// (weight_codes) reproduces training's weights bit for bit, and the gradient is g's.
torch::Tensor quantize_weight(const torch::Tensor& w, int bits, const QuantizerOptions& o) {
  if (bits >= 32) return w;
  const auto dims = filter_dims(w);
  if (bits == 1) {
    const auto clipped = w.clamp(-1.0, 1.0);
    const auto s = (w.detach() >= 0).to(w.scalar_type()) * 2 - 1;
    // XNOR-Net: d(alpha sign W)/dW = alpha 1{|W| <= 1} + sign(W) / n, through alpha = mean |W|.
    if (o.alpha_grad) return weight_alpha(w) * (s + (clipped - clipped.detach()));
    return weight_alpha(w).detach() * s + (clipped - clipped.detach());
  }
  const auto wd = w.detach();
  const auto scale = kbit_weight_scale(wd, bits, o.kbit_weight_scale);
  const auto q = qk_levels((wd / scale).clamp(-1.0, 1.0), bits);
  if (o.alpha_grad) {
    const auto u = w / scale;  // Q straight through, alpha = <W, Q> / <Q, Q> differentiated
    return lsq_alpha(w, q, dims) * (q + (u - u.detach()));
  }
  return lsq_alpha(wd, q, dims) * q + (w - wd);
}

}  // namespace hybridnet::models
