// Quantizer implementations. Activation quantizers are custom autograd functions: the
// x + (q(x) - x).detach() formulation costs about seven elementwise passes over every activation
// and made XNOR training steps ~3x slower than FP ones; these cost two forward and one backward.
#include "models/quantizer.h"

#include <cmath>
#include <vector>

namespace hybridnet::models {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

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
    // One fused kernel. hardtanh_backward passes grad where lo < x < hi (strictly), so the bounds
    // are the floats just past -1 and 1: for float32 x this is exactly |x| <= 1.
    static const double kLo = std::nextafter(-1.0f, -2.0f), kHi = std::nextafter(1.0f, 2.0f);
    return {at::hardtanh_backward(grad[0], ctx->get_saved_variables()[0], kLo, kHi)};
  }
};

// q_k(clamp(x, -1, 1)); backward: identity (no gradient clipping in k-bit layers).
struct QkSte : torch::autograd::Function<QkSte> {
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& x, int64_t k) {
    return qk_levels(x.clamp(-1.0, 1.0), static_cast<int>(k));
  }
  static tensor_list backward(AutogradContext*, tensor_list grad) { return {grad[0], {}}; }
};

}  // namespace

torch::Tensor sign_ste(const torch::Tensor& x) { return SignSte::apply(x); }

torch::Tensor qk_levels(const torch::Tensor& x, int k) {
  const double n = double((1 << k) - 1);
  // Rounding to the nearest level (see quantizer.h for why not the literal floor).
  return 2.0 * (torch::floor(n * (x + 1.0) / 2.0 + 0.5) / n - 0.5);
}

torch::Tensor quantize_input(const torch::Tensor& x, int bits) {
  if (bits >= 32) return x;
  if (bits == 1) return sign_ste(x);
  return QkSte::apply(x, static_cast<int64_t>(bits));
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

torch::Tensor quantize_weight(const torch::Tensor& w, int bits) {
  if (bits >= 32) return w;
  const auto dims = filter_dims(w);
  if (bits == 1) {
    const auto alpha = weight_alpha(w).detach();
    const auto clipped = w.clamp(-1.0, 1.0);
    const auto s = (w >= 0).to(w.scalar_type()) * 2 - 1;
    return clipped + (alpha * s - clipped).detach();
  }
  const auto wd = w.detach();
  const auto scale = wd.abs().amax(dims, /*keepdim=*/true).clamp_min(1e-12);
  const auto q = qk_levels(wd / scale, bits);
  const auto alpha = (wd * q).sum(dims, true) / (q * q).sum(dims, true);
  return w + (alpha * q - w).detach();
}

}  // namespace hybridnet::models
