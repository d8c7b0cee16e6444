#include "models/runtime_binary.h"

#include <algorithm>
#include <cmath>

#include "models/error.h"
#include "models/runtime_patterns.h"

namespace hybridnet::models::runtime {

namespace {

inline bool filter_bit(const BinaryConvWeights& w, int64_t o, int64_t bit) {
  return (w.filters[o * w.row_words + bit / 64] >> (bit % 64)) & 1;
}

}  // namespace

bool pack_binary_weights(const Tensor& w, BinaryConvWeights& out) {
  if (w.type != ElementType::kFloat || w.shape.size() != 4) return false;
  out.set_kernel(w.shape);
  const int64_t taps = out.taps();
  out.filters.assign(static_cast<size_t>(out.out_channels * out.row_words), 0);
  out.alpha.assign(static_cast<size_t>(out.out_channels), 0.0f);
  for (int64_t o = 0; o < out.out_channels; ++o) {
    const float* f = w.f.data() + o * out.in_channels * taps;
    const float alpha = std::fabs(f[0]);
    if (!(alpha > 0) || !std::isfinite(alpha)) return false;
    out.alpha[o] = alpha;
    for (int64_t c = 0; c < out.in_channels; ++c)
      for (int64_t t = 0; t < taps; ++t) {
        const float v = f[c * taps + t];
        if (std::fabs(v) != alpha) return false;  // not +-alpha: a float conv after all
        const int64_t bit = out.field_bit(t, c);
        if (v > 0) out.filters[o * out.row_words + bit / 64] |= uint64_t{1} << (bit % 64);
      }
  }
  return true;
}

namespace {

// The plain reference: +-1 products summed tap by tap, channel by channel, padding skipped.
void reference_conv(const Tensor& x, const BinaryConvWeights& w, const ConvExtent& g, Tensor& out) {
  for (int64_t b = 0; b < g.n; ++b)
    for (int64_t o = 0; o < w.out_channels; ++o)
      for (int64_t y = 0; y < g.oh; ++y)
        for (int64_t xx = 0; xx < g.ow; ++xx) {
          int64_t sum = 0;
          for (int64_t ky = 0; ky < w.kernel_h; ++ky)
            for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
              const int64_t iy = y * w.stride_h + ky - w.pad_top;
              const int64_t ix = xx * w.stride_w + kx - w.pad_left;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              for (int64_t c = 0; c < g.c; ++c) {
                float v = x.f[((b * g.c + c) * g.h + iy) * g.w + ix];
                if (!w.bn_scale.empty()) v = v * w.bn_scale[c] + w.bn_shift[c];
                const bool xs = v >= 0;
                const bool ws = filter_bit(w, o, w.field_bit(ky * w.kernel_w + kx, c));
                sum += xs == ws ? 1 : -1;
              }
            }
          out.f[((b * w.out_channels + o) * g.oh + y) * g.ow + xx] = w.alpha[o] * float(sum);
        }
}

// Sign bits of x [N, C, H, W] (1 for x >= 0, as the training sign; of x * scale + shift with
// a fused batch norm) packed along channels: [N][H][W][words], bits past C zero.
HYBRIDNET_VECTOR_CLONES std::vector<uint64_t> pack_signs(const Tensor& x,
                                                         const BinaryConvWeights& w,
                                                         int64_t words) {
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  std::vector<uint64_t> bits(static_cast<size_t>(n * hw * words), 0);
  std::vector<uint64_t> group(static_cast<size_t>(words > 1 ? hw : 0));
  const bool bn = !w.bn_scale.empty();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t k = 0; k < words; ++k) {
      // Channels 64 k ... 64 k + 63 into one word per pixel: contiguous (so vectorised) and
      // branch-free (signs are random: a branch would mispredict half the time).
      uint64_t* dst = words == 1 ? bits.data() + b * hw : group.data();
      if (words > 1) std::fill(group.begin(), group.end(), 0);
      for (int64_t ch = 64 * k; ch < std::min(c, 64 * k + 64); ++ch) {
        const float* plane = x.f.data() + (b * c + ch) * hw;
        const int bit = int(ch % 64);
        if (bn) {
          const float scale = w.bn_scale[ch], shift = w.bn_shift[ch];
          for (int64_t p = 0; p < hw; ++p) dst[p] |= uint64_t(plane[p] * scale + shift >= 0) << bit;
        } else {
          for (int64_t p = 0; p < hw; ++p) dst[p] |= uint64_t(plane[p] >= 0) << bit;
        }
      }
      if (words > 1)
        for (int64_t p = 0; p < hw; ++p) bits[(b * hw + p) * words + k] = group[p];
    }
  return bits;
}

// ones[t * O + o]: the filter's 1 bits at tap t, what a padded (all-zero) tap adds to the
// mismatch count and must be taken out again; summed per border class: correction[class][o].
// Counted per call (cheap with popcnt) rather than stored: for 64 channels it would be half the
// size of the filters.
std::vector<int32_t> padding_corrections(const BinaryConvWeights& w, const BorderClasses& b) {
  const int64_t taps = w.taps(), o_count = w.out_channels;
  std::vector<int32_t> ones(static_cast<size_t>(taps * o_count));
  for (int64_t o = 0; o < o_count; ++o)
    for (int64_t t = 0; t < taps; ++t)
      ones[t * o_count + o] =
          count_bits(w.filters.data() + o * w.row_words, w.field_bit(t, 0), w.field_bit(t + 1, 0));
  std::vector<int32_t> correction(b.padded.size() * o_count, 0);
  for (size_t k = 0; k < b.padded.size(); ++k)
    for (int t : b.padded[k])
      for (int64_t o = 0; o < o_count; ++o) correction[k * o_count + o] += ones[t * o_count + o];
  return correction;
}

// out = alpha (matches - mismatches) = alpha (in-bounds bits - 2 mismatches), plane by plane:
// out[o * plane + r] from counts[o * cols + r], r < rows.
HYBRIDNET_VECTOR_CLONES void write_outputs(const int32_t* counts, int64_t cols,
                                           const int32_t* inside, int64_t rows, int32_t channels,
                                           const BinaryConvWeights& w, float* out, int64_t plane) {
  for (int64_t o = 0; o < w.out_channels; ++o) {
    float* dst = out + o * plane;
    const int32_t* m = counts + o * cols;
    const float alpha = w.alpha[o];
    for (int64_t r = 0; r < rows; ++r) dst[r] = alpha * float(inside[r] * channels - 2 * m[r]);
  }
}

// Output pixels [first, last) of image b: pack their receptive fields, count mismatches,
// correct for padded taps, scale by alpha.
void packed_conv_pixels(const uint64_t* image_bits, int64_t channel_words,
                        const BinaryConvWeights& w, const ConvExtent& g,
                        const BorderClasses& borders, const std::vector<int32_t>& corrections,
                        KernelSet set, int64_t first, int64_t last, float* out_image) {
  const int64_t rows = last - first;
  const int64_t cols = (rows + kColumnBlock - 1) / kColumnBlock * kColumnBlock;
  // This thread's buffers, kept from block to block and call to call: fresh ones cost a
  // zero fill (and page faults, for the larger layers) that took a quarter of a layer's time.
  // Neither needs clearing: pack_fields writes every word of the block's pixels, the kernels
  // every count; the padding columns' stale words give counts nobody reads.
  thread_local std::vector<uint64_t> fields;
  thread_local std::vector<int32_t> counts, inside;
  thread_local std::vector<std::pair<int64_t, int>> border;  // pixel, class: not interior
  fields.resize(std::max(fields.size(), static_cast<size_t>(w.row_words * cols)));
  counts.resize(std::max(counts.size(), static_cast<size_t>(w.out_channels * cols)));
  inside.resize(std::max(inside.size(), static_cast<size_t>(cols)));  // in-bounds taps per pixel
  border.clear();
  pack_fields(image_bits, channel_words, w, g, borders, first, last, cols, fields.data());
  mismatch_counts(set, w.filters.data(), w.out_channels, w.row_words, fields.data(), cols,
                  counts.data());
  for (int64_t p = first, y = first / g.ow, x = first % g.ow; p < last;
       ++p, next_pixel(y, x, g.ow)) {
    const int cls = borders.at(y, x);
    inside[p - first] = borders.inside[cls];
    if (cls != borders.interior) border.push_back({p - first, cls});
  }
  // Padded taps are zero bits: take out the mismatches they added, filter by filter.
  for (int64_t o = 0; o < w.out_channels && !border.empty(); ++o) {
    int32_t* row_counts = counts.data() + o * cols;
    for (const auto& [r, cls] : border) row_counts[r] -= corrections[cls * w.out_channels + o];
  }
  write_outputs(counts.data(), cols, inside.data(), rows, int32_t(g.c), w, out_image + first,
                g.oh * g.ow);
}

}  // namespace

Tensor binary_conv(const Tensor& x, const BinaryConvWeights& w, KernelSet set) {
  const ConvExtent g = conv_extent(x, w, "binary conv");
  Tensor out = Tensor::floats_for_overwrite({g.n, w.out_channels, g.oh, g.ow});
  if (set == KernelSet::kReference) {
    reference_conv(x, w, g, out);
    return out;
  }
  const int64_t channel_words = (g.c + 63) / 64, pixels = g.oh * g.ow;
  const auto bits = pack_signs(x, w, channel_words);
  const BorderClasses borders = border_classes(w, g);
  const auto corrections = padding_corrections(w, borders);
  for_pixel_blocks(g, [&](int64_t b, int64_t first, int64_t last) {
    packed_conv_pixels(bits.data() + b * g.h * g.w * channel_words, channel_words, w, g, borders,
                       corrections, set, first, last, out.f.data() + b * w.out_channels * pixels);
  });
  return out;
}

int fuse_binary_convs(Graph& g, std::map<std::string, BinaryConvWeights>& binary) {
  const PatternMatcher match(g);
  int fused = 0;
  for (auto& n : g.nodes) {
    if (!is_unbiased_conv(n)) continue;
    const std::string sign_of = match.sign_input(n.inputs[0]);
    auto weight = g.constants.find(n.inputs[1]);
    if (sign_of.empty() || weight == g.constants.end()) continue;
    BinaryConvWeights packed;
    if (!packed.set_window(n) || !pack_binary_weights(weight->second, packed)) continue;
    const std::string source =
        match.batch_norm_input(sign_of, packed.in_channels, packed.bn_scale, packed.bn_shift);
    binary[n.name] = std::move(packed);
    make_fused(n, "HybridnetBinaryConv", source);
    ++fused;
  }
  drop_unread(g);  // the signs, the batch norms, the float weights
  return fused;
}

}  // namespace hybridnet::models::runtime
