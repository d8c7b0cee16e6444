// Binary convolutions as XNOR + popcount: a Conv whose input is the training sign
// (Where(x >= 0, 1, -1)) and whose weights are +-alpha per output filter computes
//   out[o] = alpha[o] * sum over in-bounds taps of (C - 2 popcount(sign bits of x XOR of w)),
// integer arithmetic on channel-packed 64-bit words. Taps in the zero padding add nothing,
// exactly as the float convolution of the padded signs. No torch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/runtime_graph.h"

namespace hybridnet::models::runtime {

/// A binary conv's constants: sign bits of its weights packed along input channels, and alpha.
struct BinaryConvWeights {
  int64_t out_channels = 0, in_channels = 0, kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t words = 0;            ///< 64-bit words per tap: ceil(in_channels / 64)
  std::vector<uint64_t> bits;   ///< [out][kh][kw][words], bit c % 64 of word c / 64 = (w >= 0)
  std::vector<float> alpha;     ///< [out]
};

/// The binary weights of a float weight tensor [O, I, kh, kw] whose every filter is +-alpha
/// (alpha > 0); false when it is not one (then the Conv stays a float one).
bool pack_binary_weights(const Tensor& w, BinaryConvWeights& out);

/// Which popcount the kernels use on this CPU: "popcnt" (the x86 instruction) or "scalar".
const char* popcount_kernel();

/// The binary convolution of sign(x) (sign(0) = +1) with the packed weights: float [N, O, oh,
/// ow]. `reference` forces the portable scalar popcount.
Tensor binary_conv(const Tensor& x, const BinaryConvWeights& w, bool reference = false);

/// Rewrites the graph: every Conv fed by the training sign pattern, with +-alpha weights,
/// becomes a "HybridnetBinaryConv" node reading the sign's input, its weights in `binary`
/// (keyed by the node's name); the sign nodes go when nothing else reads them. Returns how many
/// convolutions it rewrote.
int fuse_binary_convs(Graph& graph, std::map<std::string, BinaryConvWeights>& binary);

}  // namespace hybridnet::models::runtime
