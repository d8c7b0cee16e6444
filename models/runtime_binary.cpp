#include "models/runtime_binary.h"

#include <cmath>
#include <set>

#include "models/error.h"

namespace hybridnet::models::runtime {

bool pack_binary_weights(const Tensor& w, BinaryConvWeights& out) {
  if (w.type != ElementType::kFloat || w.shape.size() != 4) return false;
  out.out_channels = w.shape[0];
  out.in_channels = w.shape[1];
  out.kernel_h = w.shape[2];
  out.kernel_w = w.shape[3];
  out.words = (out.in_channels + 63) / 64;
  const int64_t per_filter = out.in_channels * out.kernel_h * out.kernel_w;
  const int64_t taps = out.kernel_h * out.kernel_w;
  out.bits.assign(static_cast<size_t>(out.out_channels * taps * out.words), 0);
  out.alpha.assign(static_cast<size_t>(out.out_channels), 0.0f);
  for (int64_t o = 0; o < out.out_channels; ++o) {
    const float* f = w.f.data() + o * per_filter;
    const float alpha = std::fabs(f[0]);
    if (!(alpha > 0) || !std::isfinite(alpha)) return false;
    out.alpha[o] = alpha;
    for (int64_t c = 0; c < out.in_channels; ++c)
      for (int64_t t = 0; t < taps; ++t) {
        const float v = f[c * taps + t];
        if (std::fabs(v) != alpha) return false;  // not +-alpha: a float conv after all
        if (v > 0) out.bits[(o * taps + t) * out.words + c / 64] |= uint64_t{1} << (c % 64);
      }
  }
  return true;
}

namespace {

// Sign bits of x [N, C, H, W] (1 for x >= 0, as the training sign) packed along channels:
// [N][H][W][words].
std::vector<uint64_t> pack_signs(const Tensor& x, int64_t words) {
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  std::vector<uint64_t> bits(static_cast<size_t>(n * hw * words), 0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* plane = x.f.data() + (b * c + ch) * hw;
      uint64_t* dst = bits.data() + b * hw * words + ch / 64;
      const uint64_t bit = uint64_t{1} << (ch % 64);
      for (int64_t p = 0; p < hw; ++p)
        if (plane[p] >= 0) dst[p * words] |= bit;
    }
  return bits;
}

// The kernel, instantiated with a popcount; `Popcount` decides which instruction it compiles to.
template <int (*Popcount)(uint64_t)>
void binary_conv_kernel(const std::vector<uint64_t>& xbits, const Tensor& x,
                        const BinaryConvWeights& w, Tensor& out) {
  const int64_t n = x.shape[0], h = x.shape[2], wd = x.shape[3];
  const int64_t oh = out.shape[2], ow = out.shape[3], words = w.words;
  const int64_t taps = w.kernel_h * w.kernel_w;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < w.out_channels; ++o) {
      const uint64_t* filter = w.bits.data() + o * taps * words;
      float* dst = out.f.data() + (b * w.out_channels + o) * oh * ow;
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xx = 0; xx < ow; ++xx) {
          int64_t mismatches = 0, inside = 0;
          for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
            const int64_t iy = y * w.stride_h + ky - w.pad_top;
            if (iy < 0 || iy >= h) continue;
            for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
              const int64_t ix = xx * w.stride_w + kx - w.pad_left;
              if (ix < 0 || ix >= wd) continue;
              ++inside;
              const uint64_t* a = xbits.data() + ((b * h + iy) * wd + ix) * words;
              const uint64_t* f = filter + (ky * w.kernel_w + kx) * words;
              for (int64_t k = 0; k < words; ++k) mismatches += Popcount(a[k] ^ f[k]);
            }
          }
          dst[y * ow + xx] = w.alpha[o] * float(inside * w.in_channels - 2 * mismatches);
        }
    }
}

int scalar_popcount(uint64_t v) {
  // Portable: the bit-twiddling count (no popcnt instruction needed).
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<int>((v * 0x0101010101010101ULL) >> 56);
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) int hardware_popcount(uint64_t v) {
  return __builtin_popcountll(v);
}
__attribute__((target("popcnt"))) void popcnt_kernel(const std::vector<uint64_t>& xbits,
                                                     const Tensor& x, const BinaryConvWeights& w,
                                                     Tensor& out) {
  binary_conv_kernel<hardware_popcount>(xbits, x, w, out);
}
bool has_popcnt() { return __builtin_cpu_supports("popcnt"); }
#else
bool has_popcnt() { return false; }
#endif

}  // namespace

const char* popcount_kernel() { return has_popcnt() ? "popcnt" : "scalar"; }

Tensor binary_conv(const Tensor& x, const BinaryConvWeights& w, bool reference) {
  if (x.type != ElementType::kFloat || x.shape.size() != 4 || x.shape[1] != w.in_channels)
    throw ConfigError("binary conv: input " + shape_text(x.shape) + " does not fit " +
                      std::to_string(w.in_channels) + " input channels");
  const int64_t oh = (x.shape[2] + w.pad_top + w.pad_bottom - w.kernel_h) / w.stride_h + 1;
  const int64_t ow = (x.shape[3] + w.pad_left + w.pad_right - w.kernel_w) / w.stride_w + 1;
  Tensor out = Tensor::floats({x.shape[0], w.out_channels, oh, ow});
  const auto xbits = pack_signs(x, w.words);
#if defined(__x86_64__)
  if (!reference && has_popcnt()) {
    popcnt_kernel(xbits, x, w, out);
    return out;
  }
#endif
  binary_conv_kernel<scalar_popcount>(xbits, x, w, out);
  return out;
}

namespace {

bool scalar_constant(const Graph& g, const std::string& name, float value) {
  auto it = g.constants.find(name);
  return it != g.constants.end() && it->second.type == ElementType::kFloat &&
         it->second.f.size() == 1 && it->second.f[0] == value;
}

}  // namespace

int fuse_binary_convs(Graph& g, std::map<std::string, BinaryConvWeights>& binary) {
  std::map<std::string, size_t> producer;
  for (size_t k = 0; k < g.nodes.size(); ++k)
    for (const auto& o : g.nodes[k].outputs) producer[o] = k;
  int fused = 0;
  for (auto& n : g.nodes) {
    if (n.op != "Conv" || n.inputs.size() < 2 || (n.inputs.size() > 2 && !n.inputs[2].empty()))
      continue;
    auto where = producer.find(n.inputs[0]);
    if (where == producer.end()) continue;
    const Node& w = g.nodes[where->second];
    if (w.op != "Where" || w.inputs.size() != 3 || !scalar_constant(g, w.inputs[1], 1.0f) ||
        !scalar_constant(g, w.inputs[2], -1.0f))
      continue;
    auto ge = producer.find(w.inputs[0]);
    if (ge == producer.end()) continue;
    const Node& cmp = g.nodes[ge->second];
    if (cmp.op != "GreaterOrEqual" || !scalar_constant(g, cmp.inputs.at(1), 0.0f)) continue;
    auto weight = g.constants.find(n.inputs[1]);
    if (weight == g.constants.end()) continue;
    if (n.attr("group", 1) != 1 || n.attr_list("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
      continue;
    BinaryConvWeights packed;
    if (!pack_binary_weights(weight->second, packed)) continue;
    const auto strides = n.attr_list("strides", {1, 1});
    const auto pads = n.attr_list("pads", {0, 0, 0, 0});
    if (strides.size() != 2 || pads.size() != 4) continue;
    packed.stride_h = strides[0];
    packed.stride_w = strides[1];
    packed.pad_top = pads[0];
    packed.pad_left = pads[1];
    packed.pad_bottom = pads[2];
    packed.pad_right = pads[3];
    binary[n.name] = std::move(packed);
    n.op = "HybridnetBinaryConv";
    n.inputs = {cmp.inputs[0]};
    n.ints.clear();
    n.int_lists.clear();
    ++fused;
  }
  // Drop the nodes and constants nothing reads any more (the signs, the float weights).
  for (bool removed = true; removed;) {
    removed = false;
    std::set<std::string> read(g.outputs.begin(), g.outputs.end());
    for (const auto& n : g.nodes) read.insert(n.inputs.begin(), n.inputs.end());
    for (auto it = g.nodes.begin(); it != g.nodes.end();) {
      bool used = false;
      for (const auto& o : it->outputs) used = used || read.count(o);
      if (used) {
        ++it;
      } else {
        it = g.nodes.erase(it);
        removed = true;
      }
    }
    if (!removed)
      for (auto it = g.constants.begin(); it != g.constants.end();)
        it = read.count(it->first) ? std::next(it) : g.constants.erase(it);
  }
  return fused;
}

}  // namespace hybridnet::models::runtime
