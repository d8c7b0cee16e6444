// Binary convolutions as XNOR + popcount: a Conv whose input is the training sign
// (Where(x >= 0, 1, -1)) and whose weights are +-alpha per output filter computes
//   out[o] = alpha[o] * sum over in-bounds taps and channels of (sign x == sign w ? 1 : -1),
// integer arithmetic on bits. The fast kernels pack each output pixel's receptive field into
// 64-bit words (bit-packed im2col, LCE style: bit t * C + c is channel c of tap t) and count
// mismatches against the filters with the popcount kernels of models/runtime_popcount.h. Taps in
// the zero padding (neither +1 nor -1 after the sign) are packed as zero bits and their
// contribution taken out again, so the result equals the float convolution of the padded signs
// exactly. No torch.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/runtime_bitpack.h"
#include "models/runtime_graph.h"
#include "models/runtime_popcount.h"

namespace hybridnet::models::runtime {

/// A binary conv's constants: sign bits of its weights, packed along the receptive field, and
/// alpha.
struct BinaryConvWeights : BitConvShape {
  std::vector<uint64_t> filters;  ///< [out][row_words]: bit (t C + c) % 64 of word
                                  ///< (t C + c) / 64 of filter o = (w[o][c][t] >= 0)
  std::vector<float> alpha;       ///< [out]
  /// [in], or empty: the batch norm before the sign, fused (the sign of x * scale + shift, the
  /// graph's Mul and Add in float, so the bits are the graph's).
  std::vector<float> bn_scale, bn_shift;

  int64_t bytes() const {
    return int64_t(filters.size()) * 8 +
           int64_t(alpha.size() + bn_scale.size() + bn_shift.size()) * 4;
  }
};

/// The binary weights of a float weight tensor [O, I, kh, kw] whose every filter is +-alpha
/// (alpha > 0); false when it is not one (then the Conv stays a float one).
bool pack_binary_weights(const Tensor& w, BinaryConvWeights& out);

/// The binary convolution of sign(x) (sign(0) = +1) with the packed weights: float [N, O, oh,
/// ow]. kReference sums +-1 products tap by tap and channel by channel (the plain reference);
/// every other set runs the bit-packed kernels, output pixels spread over TBB threads.
Tensor binary_conv(const Tensor& x, const BinaryConvWeights& w, KernelSet set = best_kernel_set());

/// Rewrites the graph: every Conv fed by the training sign pattern, with +-alpha weights,
/// becomes a "HybridnetBinaryConv" node reading the sign's input, its weights in `binary`
/// (keyed by the node's name). A per-channel batch norm (Mul, Add) before the sign is fused
/// too. The sign and batch-norm nodes go when nothing else reads them. Returns how many
/// convolutions it rewrote.
int fuse_binary_convs(Graph& graph, std::map<std::string, BinaryConvWeights>& binary);

}  // namespace hybridnet::models::runtime
