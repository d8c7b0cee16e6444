// Quantizers with straight-through estimators (STE).
//   binary:  sign(x) (sign(0) = +1); gradient passes where |x| <= 1, zero elsewhere (XNOR-Net).
//   k-bit:   q_k(x) = 2 (round((2^k - 1)(x + 1) / 2) / (2^k - 1) - 1/2), PCA paper eq. 3, on x
//            clamped to its domain [-1, 1]. The paper's text reads floor, but floor is biased and
//            asymmetric: it maps 0 to -1/3 (k = 2) and flips small positive weights to -1/3 x
//            scale. Rounding (DoReFa's quantizer) gives q_1 = sign, which is what "k-bit" must
//            reduce to at k = 1.
//   weights: per output filter, W ~ alpha * Q(W). Binary: Q = sign, alpha = mean |W| (eq. 1 of
//            the hybrid-architectures paper). k-bit (eq. 5 of the PCA paper): Q = q_k(W / s) on
//            a grid of scale s, alpha = <W, Q> / <Q, Q> (the least-squares scale; for Q = sign it
//            is exactly mean |W|).
//
// Three choices are options (QuantizerOptions), with defaults measured to train best (issue 12;
// ResNet-8, Fashion-MNIST quick start, 2 seeds, test accuracy after 3 epochs):
//   k-bit input gradient: clipped at |x| > 1 like sign's (default) or passed everywhere (the PCA
//            paper's "we get rid of the activation gradient clipping"). The input is clamped to
//            [-1, 1], so outside it the identity gradient says "move x" where moving x changes
//            nothing; with it 2-bit networks trained no better than binary ones (train loss 0.674
//            vs 0.548 clipped; test 0.758 vs 0.805).
//   k-bit weight grid: "mse", the uniform grid whose scale minimises ||W - alpha Q||^2 per filter
//            (default), or "max", s = max|W| (DoReFa). With max, one large weight stretches the
//            grid so that ~95% of a Gaussian filter lands on +-1/3: 2-bit weights act binary.
//            mse lowered 2-bit train loss 0.552 -> 0.520 (test +0.7 points).
//   alpha gradient: alpha treated as a constant (default) or differentiated (XNOR-Net). No
//            measurable difference (+-0.3 points), and the constant is cheaper.
// A fourth choice is an initial value (TrainConfig::kbit_input_gain, set when the trainer builds
// the network): gamma of the batch norm before a k-bit input quantizer, which fixes how many
// standard deviations of the normalised input the domain [-1, 1] spans. Gamma barely moves in
// training (1.0 -> 1.02 over 3 epochs), so the initial value stays the quantizer's range; sign
// ignores its input's scale, so binary layers are unaffected. In the PyTorch reference
// (tests/reference), all-2-bit ResNet-8, 3 seeds: gain 1.5 lowered train loss 0.526 -> 0.497
// and raised test accuracy 0.817 -> 0.825 at every seed (0.67, the range that minimises a
// Gaussian's squared error, was worst; 4-bit neutral). On ResNet-20 (10 epochs) it left
// quantized-k 2 as it was (+0.05 points) and lowered the pca hybrid, so the default stays 1.
#pragma once

#include <torch/torch.h>

#include "models/quantizer_options.h"

namespace hybridnet::models {

/// sign with sign(0) = +1 and the clipped STE.
torch::Tensor sign_ste(const torch::Tensor& x);
/// q_k of eq. 3 with rounding, forward only (no clamping, no STE).
torch::Tensor qk_levels(const torch::Tensor& x, int k);
/// q_k in two steps: the level's index c in 0..2^k-1 of x in [-1, 1] (a float tensor), and the
/// level 2 (c / n - 1/2), n = 2^k - 1. qk_levels(x) == qk_from_codes(qk_codes(x)) bit for bit.
torch::Tensor qk_codes(const torch::Tensor& x, int k);
torch::Tensor qk_from_codes(const torch::Tensor& codes, int k);
/// Input quantizer for `bits` (1 = sign, 2..8 = q_k on clamp(x), 32 = identity).
torch::Tensor quantize_input(const torch::Tensor& x, int bits, const QuantizerOptions& o = {});
/// Per-output-filter alpha = mean |W| over all dimensions but the first, shaped to broadcast.
torch::Tensor weight_alpha(const torch::Tensor& w);
/// Per-output-filter scale s of the k-bit weight grid (levels s * q_k), shaped to broadcast.
/// kMse: Lloyd's iterations for a uniform grid (assign W to the nearest level of s * q_k, refit
/// s = <W, Q> / <Q, Q>) from the grid that is optimal for Gaussian weights; kMax: max |W|.
torch::Tensor kbit_weight_scale(const torch::Tensor& w, int bits, KbitWeightScale scale);
/// alpha * Q(W) with the STE described above; `bits` = 32 returns w.
torch::Tensor quantize_weight(const torch::Tensor& w, int bits, const QuantizerOptions& o = {});

/// What a deployed network stores of quantized weights (1..8 bits): per weight the level's
/// index (uint8, 0 or 1 for binary) and per output filter alpha, such that
/// alpha * qk_from_codes(codes, bits) equals quantize_weight's forward value bit for bit
/// (binary: codes 1 for W >= 0, alpha = mean |W|).
struct WeightCodes {
  torch::Tensor codes;  ///< uint8, the shape of w
  torch::Tensor alpha;  ///< float, [O, 1, ...] shaped to broadcast
};
WeightCodes weight_codes(const torch::Tensor& w, int bits, const QuantizerOptions& o = {});

}  // namespace hybridnet::models
