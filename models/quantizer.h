// Quantizers with straight-through estimators (STE).
//   binary:  sign(x) (sign(0) = +1); gradient passes where |x| <= 1, zero elsewhere (XNOR-Net).
//   k-bit:   q_k(x) = 2 (round((2^k - 1)(x + 1) / 2) / (2^k - 1) - 1/2), PCA paper eq. 3, on x
//            clamped to its domain [-1, 1]; gradient passes everywhere (the paper removes the
//            activation gradient clipping in k-bit layers). The paper's text reads floor, but
//            floor is biased and asymmetric: it maps 0 to -1/3 (k = 2), reaches +1 only at x = 1,
//            and turns every weight below max|W| / 3 into -1/3 x scale, so a positive weight
//            flips sign. Measured: with floor, 2-bit layers trained WORSE than binary ones (quick-
//            start, ResNet-8, 3 epochs: all 2-bit 0.643 vs XNOR 0.749, and accuracy fell as PCA
//            upgraded more layers). Rounding (DoReFa's quantizer) gives q_1 = sign, which is
//            what "k-bit" must reduce to at k = 1.
//   weights: per output filter, W ~ alpha * Q(W). Binary: Q = sign, alpha = mean |W| (eq. 1 of
//            the hybrid-architectures paper). k-bit (eq. 5 of the PCA paper): Q = q_k(W / max|W|)
//            and alpha = <W, Q> / <Q, Q>, the least-squares scale, which for Q = sign is exactly
//            mean |W|. Gradients reach W straight through (clipped at |W| > 1 for binary).
#pragma once

#include <torch/torch.h>

namespace hybridnet::models {

/// sign with sign(0) = +1 and the clipped STE.
torch::Tensor sign_ste(const torch::Tensor& x);
/// q_k of eq. 3 with rounding, forward only (no clamping, no STE).
torch::Tensor qk_levels(const torch::Tensor& x, int k);
/// Input quantizer for `bits` (1 = sign, 2..8 = q_k on clamp(x), 32 = identity).
torch::Tensor quantize_input(const torch::Tensor& x, int bits);
/// Per-output-filter alpha = mean |W| over all dimensions but the first, shaped to broadcast.
torch::Tensor weight_alpha(const torch::Tensor& w);
/// alpha * Q(W) with the STE described above; `bits` = 32 returns w.
torch::Tensor quantize_weight(const torch::Tensor& w, int bits);

}  // namespace hybridnet::models
