// k-bit convolutions as bit-serial popcounts. An exported k-bit layer computes
//   out[o] = sum over in-bounds taps and channels of q_x * w,
// with q_x = 2 c_x / n_x - 1 (c_x in 0..n_x: the q_k quantizer of eq. 3, n_x = 2^k - 1, or the
// sign, n_x = 1) and w = alpha[o] (2 c_w / n_w - 1). With u = 2 c_x - n_x and v = 2 c_w - n_w,
//   out[o] = alpha[o] / (n_x n_w) * sum u v,   sum u v = 4 sum c_x c_w - 2 n_w sum c_x
//            - 2 n_x sum c_w + n_x n_w K,       sum c_x c_w = sum over bit planes i, j of
//   2^(i + j) popcount(X_i AND W_j),  popcount(a AND b) = (popcount a + popcount b
//   - popcount(a XOR b)) / 2,
// so each pair of planes is one run of the XOR popcount kernels. Padded taps (q_x = 0 in the
// graph, not a code) are packed as code 0 and their contribution taken out again. The sums are
// integers, exact; only the final scaling rounds, so the result agrees with the graph's float
// convolution to float rounding. No torch.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/runtime_bitpack.h"
#include "models/runtime_graph.h"
#include "models/runtime_popcount.h"

namespace hybridnet::models::runtime {

struct KbitConvWeights : BitConvShape {
  int input_bits = 1;               ///< k of the input codes (1: the sign)
  int weight_bits = 1;              ///< k of the weight codes
  std::vector<uint64_t> planes;     ///< [weight_bits][out][row_words]: bit j of each code, packed
                                    ///< along the receptive field as binary filters are
  std::vector<int32_t> plane_ones;  ///< [weight_bits][out]: ones of each plane's filter
  std::vector<float> alpha;         ///< [out]
  std::vector<float> bn_scale, bn_shift;  ///< [in] when a batch norm before the quantizer is fused

  int input_levels() const { return (1 << input_bits) - 1; }
  int weight_levels() const { return (1 << weight_bits) - 1; }
  int64_t bytes() const {
    return int64_t(planes.size()) * 8 +
           int64_t(plane_ones.size() + alpha.size() + bn_scale.size() + bn_shift.size()) * 4;
  }
};

/// The codes of a float weight tensor [O, I, kh, kw] whose every filter takes values
/// alpha (2 c / n - 1), c in 0..n, n = 2^bits - 1, for the fewest bits (at most 8) that fit
/// (to float rounding); false when it has none (then the Conv stays a float one).
bool pack_kbit_weights(const Tensor& w, KbitConvWeights& out);

/// The input code of one value, as the exported graph computes it in float (with a fused batch
/// norm applied first by the caller): the sign's (x >= 0) for 1 bit, else
/// floor(n (clip(x, -1, 1) + 1) / 2 + 0.5).
int input_code(float x, int bits);

/// The k-bit convolution of the quantized input with the packed weights: float [N, O, oh, ow].
/// kReference sums u v tap by tap and channel by channel (the plain reference); every other
/// set runs the bit-serial kernels.
Tensor kbit_conv(const Tensor& x, const KbitConvWeights& w, KernelSet set = best_kernel_set());

/// Rewrites the graph: every Conv fed by the q_k quantizer or the sign whose weights are
/// k-bit (and not both binary: fuse_binary_convs takes those) becomes a "HybridnetKbitConv"
/// node reading the quantizer's input (before a batch norm, fused too); its weights in `kbit`.
/// Returns how many it rewrote.
int fuse_kbit_convs(Graph& graph, std::map<std::string, KbitConvWeights>& kbit);

}  // namespace hybridnet::models::runtime
