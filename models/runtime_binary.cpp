#include "models/runtime_binary.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "models/error.h"

namespace hybridnet::models::runtime {

namespace {

// The bit of the receptive field that holds channel c of tap t.
inline int64_t field_bit(const BinaryConvWeights& w, int64_t tap, int64_t channel) {
  return tap * w.in_channels + channel;
}

inline bool filter_bit(const BinaryConvWeights& w, int64_t o, int64_t bit) {
  return (w.filters[o * w.row_words + bit / 64] >> (bit % 64)) & 1;
}

}  // namespace

bool pack_binary_weights(const Tensor& w, BinaryConvWeights& out) {
  if (w.type != ElementType::kFloat || w.shape.size() != 4) return false;
  out.out_channels = w.shape[0];
  out.in_channels = w.shape[1];
  out.kernel_h = w.shape[2];
  out.kernel_w = w.shape[3];
  const int64_t taps = out.kernel_h * out.kernel_w;
  out.row_words = (taps * out.in_channels + 63) / 64;
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
        const int64_t bit = field_bit(out, t, c);
        if (v > 0) out.filters[o * out.row_words + bit / 64] |= uint64_t{1} << (bit % 64);
      }
  }
  return true;
}

namespace {

struct Geometry {
  int64_t n, c, h, w, oh, ow;
};

// The plain reference: +-1 products summed tap by tap, channel by channel, padding skipped.
void reference_conv(const Tensor& x, const BinaryConvWeights& w, const Geometry& g, Tensor& out) {
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
                const bool ws = filter_bit(w, o, field_bit(w, ky * w.kernel_w + kx, c));
                sum += xs == ws ? 1 : -1;
              }
            }
          out.f[((b * w.out_channels + o) * g.oh + y) * g.ow + xx] = w.alpha[o] * float(sum);
        }
}

// The loops below are plain C++ that the compiler vectorises; compiled once per instruction
// set and chosen at load time (GCC's target_clones), they use the CPU's widest vectors.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HYBRIDNET_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HYBRIDNET_VECTOR_CLONES
#endif

// Sign bits of x [N, C, H, W] (1 for x >= 0, as the training sign; of x * scale + shift with
// a fused batch norm) packed along channels: [N][H][W][words], bits past C zero.
HYBRIDNET_VECTOR_CLONES std::vector<uint64_t> pack_signs(const Tensor& x, const BinaryConvWeights& w, int64_t words) {
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
          for (int64_t p = 0; p < hw; ++p)
            dst[p] |= uint64_t(plane[p] * scale + shift >= 0) << bit;
        } else {
          for (int64_t p = 0; p < hw; ++p) dst[p] |= uint64_t(plane[p] >= 0) << bit;
        }
      }
      if (words > 1)
        for (int64_t p = 0; p < hw; ++p) bits[(b * hw + p) * words + k] = group[p];
    }
  return bits;
}

// ORs `words` words of bits (zero past the last meaningful one) into `row` from bit `at`.
inline void put_bits(uint64_t* row, int64_t at, const uint64_t* src, int64_t words) {
  const int64_t first = at / 64, shift = at % 64;
  if (shift == 0) {
    for (int64_t k = 0; k < words; ++k) row[first + k] |= src[k];
    return;
  }
  for (int64_t k = 0; k < words; ++k) {
    row[first + k] |= src[k] << shift;
    // The spill is zero when it would land past the row's last word.
    if (const uint64_t spill = src[k] >> (64 - shift)) row[first + k + 1] |= spill;
  }
}

// ones[t * O + o]: the filter's 1 bits at tap t, what a padded (all-zero) tap adds to the
// mismatch count and must be taken out again. Counted per call (cheap with popcnt) rather than
// stored: for 64 channels it would be half the size of the filters.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("popcnt", "default")))
#endif
std::vector<int32_t> tap_ones(const BinaryConvWeights& w) {
  const int64_t taps = w.kernel_h * w.kernel_w;
  std::vector<int32_t> ones(static_cast<size_t>(taps * w.out_channels), 0);
  if (w.in_channels % 64 == 0) {  // whole words per tap
    const int64_t per_tap = w.in_channels / 64;
    for (int64_t o = 0; o < w.out_channels; ++o) {
      const uint64_t* f = w.filters.data() + o * w.row_words;
      for (int64_t t = 0; t < taps; ++t) {
        int32_t count = 0;
        for (int64_t k = 0; k < per_tap; ++k) count += __builtin_popcountll(f[t * per_tap + k]);
        ones[t * w.out_channels + o] = count;
      }
    }
    return ones;
  }
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t o = 0; o < w.out_channels; ++o) {
      int32_t count = 0;
      for (int64_t bit = field_bit(w, t, 0), end = field_bit(w, t + 1, 0); bit < end;) {
        const int64_t take = std::min<int64_t>(64 - bit % 64, end - bit);
        uint64_t word = w.filters[o * w.row_words + bit / 64] >> (bit % 64);
        if (take < 64) word &= (uint64_t{1} << take) - 1;
        count += __builtin_popcountll(word);
        bit += take;
      }
      ones[t * w.out_channels + o] = count;
    }
  return ones;
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

// Which taps of an output pixel's window fall in the zero padding depends only on its row's
// in-bounds kernel rows [ky0, ky1) and its column's kernel columns [kx0, kx1): a few classes per
// layer. For each class, the in-bounds taps and the mismatches its padded taps add per filter
// (the filter's ones there), computed once per call.
struct Borders {
  std::vector<int> row_class, col_class;  // per output row / column
  int col_classes = 0;
  std::vector<int32_t> inside;      // [class]: in-bounds taps
  std::vector<int32_t> correction;  // [class][out]: mismatches the padded taps add
  int interior = -1;                // the class with no padded tap

  int of(int64_t p, int64_t ow) const { return row_class[p / ow] * col_classes + col_class[p % ow]; }
};

Borders border_classes(const BinaryConvWeights& w, const Geometry& g) {
  Borders b;
  // The in-bounds kernel range of each output row (columns alike), and its class.
  auto classes = [](int64_t outputs, int64_t stride, int64_t pad, int64_t kernel, int64_t input,
                    std::vector<int>& class_of, std::vector<std::pair<int64_t, int64_t>>& ranges) {
    class_of.resize(static_cast<size_t>(outputs));
    for (int64_t i = 0; i < outputs; ++i) {
      const int64_t at = i * stride - pad;
      const std::pair<int64_t, int64_t> range{std::max<int64_t>(0, -at),
                                              std::min(kernel, input - at)};
      auto it = std::find(ranges.begin(), ranges.end(), range);
      class_of[i] = int(it - ranges.begin());
      if (it == ranges.end()) ranges.push_back(range);
    }
  };
  std::vector<std::pair<int64_t, int64_t>> rows, cols;
  classes(g.oh, w.stride_h, w.pad_top, w.kernel_h, g.h, b.row_class, rows);
  classes(g.ow, w.stride_w, w.pad_left, w.kernel_w, g.w, b.col_class, cols);
  b.col_classes = int(cols.size());
  const auto ones = tap_ones(w);
  const int64_t o_count = w.out_channels;
  b.inside.assign(rows.size() * cols.size(), 0);
  b.correction.assign(rows.size() * cols.size() * o_count, 0);
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < cols.size(); ++c) {
      const size_t k = r * cols.size() + c;
      b.inside[k] = int32_t(std::max<int64_t>(0, rows[r].second - rows[r].first) *
                            std::max<int64_t>(0, cols[c].second - cols[c].first));
      if (b.inside[k] == w.kernel_h * w.kernel_w) b.interior = int(k);
      for (int64_t ky = 0; ky < w.kernel_h; ++ky)
        for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
          if (ky >= rows[r].first && ky < rows[r].second && kx >= cols[c].first &&
              kx < cols[c].second)
            continue;
          const int32_t* padded = ones.data() + (ky * w.kernel_w + kx) * o_count;
          for (int64_t o = 0; o < o_count; ++o) b.correction[k * o_count + o] += padded[o];
        }
    }
  return b;
}

// Output pixels [first, last) of image b: pack their receptive fields, count mismatches,
// correct for padded taps, scale by alpha. The fields are stored word-major ([word][pixel]) so
// the counts come out filter by filter, in the output planes' order.
void packed_conv_pixels(const uint64_t* image_bits, int64_t channel_words,
                        const BinaryConvWeights& w, const Geometry& g,
                        const Borders& borders, KernelSet set, int64_t first,
                        int64_t last, float* out_image) {
  const int64_t rows = last - first, words = w.row_words, taps = w.kernel_h * w.kernel_w;
  const int64_t cols = (rows + kColumnBlock - 1) / kColumnBlock * kColumnBlock;
  // With whole channel words, an interior pixel's taps along a row are consecutive in memory.
  const bool aligned = g.c % 64 == 0;
  std::vector<uint64_t> fields(static_cast<size_t>(words * cols), 0);
  std::vector<uint64_t> row(static_cast<size_t>(words + 1));
  std::vector<int32_t> inside(static_cast<size_t>(cols), 0);  // in-bounds taps per pixel
  std::vector<std::pair<int64_t, int>> border;                 // pixel, class: not interior
  for (int64_t p = first; p < last; ++p) {
    const int64_t iy0 = p / g.ow * w.stride_h - w.pad_top;
    const int64_t ix0 = p % g.ow * w.stride_w - w.pad_left;
    std::fill(row.begin(), row.end(), 0);
    const int cls = borders.of(p, g.ow);
    inside[p - first] = borders.inside[cls];
    const bool interior = cls == borders.interior;
    if (!interior) border.push_back({p - first, cls});
    if (interior && aligned) {
      const int64_t run = w.kernel_w * channel_words;
      for (int64_t ky = 0; ky < w.kernel_h; ++ky)
        std::copy_n(image_bits + ((iy0 + ky) * g.w + ix0) * channel_words, run,
                    row.data() + ky * run);
    } else if (interior && channel_words == 1) {
      // Narrow layers: each tap's C bits shifted into a word kept in a register, which goes
      // out to its place in `fields` when full.
      uint64_t word = 0;
      int used = 0;  // bits of `word` filled
      uint64_t* out = fields.data() + (p - first);
      for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
        const uint64_t* src = image_bits + (iy0 + ky) * g.w + ix0;
        for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
          const uint64_t v = src[kx];
          word |= v << used;
          used += int(g.c);
          if (used >= 64) {
            *out = word;
            out += cols;
            used -= 64;
            word = used ? v >> (int(g.c) - used) : 0;
          }
        }
      }
      if (used) *out = word;
      continue;
    } else {
      for (int64_t ky = 0; ky < w.kernel_h; ++ky)
        for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
          const int64_t iy = iy0 + ky, ix = ix0 + kx;
          if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
          put_bits(row.data(), field_bit(w, ky * w.kernel_w + kx, 0),
                   image_bits + (iy * g.w + ix) * channel_words, channel_words);
        }
    }
    for (int64_t k = 0; k < words; ++k) fields[k * cols + (p - first)] = row[k];
  }
  std::vector<int32_t> counts(static_cast<size_t>(w.out_channels * cols));
  mismatch_counts(set, w.filters.data(), w.out_channels, words, fields.data(), cols,
                  counts.data());
  // Padded taps are zero bits: take out the mismatches they added, filter by filter.
  for (int64_t o = 0; o < w.out_channels && !border.empty(); ++o) {
    int32_t* row_counts = counts.data() + o * cols;
    for (const auto& [r, cls] : border)
      row_counts[r] -= borders.correction[cls * w.out_channels + o];
  }
  write_outputs(counts.data(), cols, inside.data(), rows, int32_t(g.c), w,
                out_image + first, g.oh * g.ow);
}

}  // namespace

Tensor binary_conv(const Tensor& x, const BinaryConvWeights& w, KernelSet set) {
  if (x.type != ElementType::kFloat || x.shape.size() != 4 || x.shape[1] != w.in_channels)
    throw ConfigError("binary conv: input " + shape_text(x.shape) + " does not fit " +
                      std::to_string(w.in_channels) + " input channels");
  Geometry g{x.shape[0], x.shape[1], x.shape[2], x.shape[3], 0, 0};
  g.oh = (g.h + w.pad_top + w.pad_bottom - w.kernel_h) / w.stride_h + 1;
  g.ow = (g.w + w.pad_left + w.pad_right - w.kernel_w) / w.stride_w + 1;
  Tensor out = Tensor::floats({g.n, w.out_channels, g.oh, g.ow});
  if (set == KernelSet::kReference) {
    reference_conv(x, w, g, out);
    return out;
  }
  const int64_t channel_words = (g.c + 63) / 64, pixels = g.oh * g.ow;
  const auto bits = pack_signs(x, w, channel_words);
  const Borders borders = border_classes(w, g);
  // Blocks of output pixels: enough rows to reuse each filter word, few enough to stay in cache.
  const int64_t block = 64;
  tbb::parallel_for(int64_t{0}, g.n * ((pixels + block - 1) / block), [&](int64_t job) {
    const int64_t blocks = (pixels + block - 1) / block, b = job / blocks;
    const int64_t first = (job % blocks) * block, last = std::min(pixels, first + block);
    packed_conv_pixels(bits.data() + b * g.h * g.w * channel_words, channel_words, w, g, borders,
                       set, first, last, out.f.data() + b * w.out_channels * pixels);
  });
  return out;
}

namespace {

bool scalar_constant(const Graph& g, const std::string& name, float value) {
  auto it = g.constants.find(name);
  return it != g.constants.end() && it->second.type == ElementType::kFloat &&
         it->second.f.size() == 1 && it->second.f[0] == value;
}

// A float constant of shape [channels, 1, 1]: a per-channel batch-norm factor.
const Tensor* per_channel(const Graph& g, const std::string& name, int64_t channels) {
  auto it = g.constants.find(name);
  if (it == g.constants.end() || it->second.type != ElementType::kFloat ||
      it->second.shape != std::vector<int64_t>{channels, 1, 1})
    return nullptr;
  return &it->second;
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
    // Batch norm before the sign: x * scale (Mul) + shift (Add), as export writes it.
    std::string source = cmp.inputs[0];
    if (auto add = producer.find(source); add != producer.end()) {
      const Node& a = g.nodes[add->second];
      const Tensor* shift = a.op == "Add" && a.inputs.size() == 2
                                ? per_channel(g, a.inputs[1], packed.in_channels)
                                : nullptr;
      auto mul = shift ? producer.find(a.inputs[0]) : producer.end();
      if (mul != producer.end()) {
        const Node& m = g.nodes[mul->second];
        const Tensor* scale = m.op == "Mul" && m.inputs.size() == 2
                                  ? per_channel(g, m.inputs[1], packed.in_channels)
                                  : nullptr;
        if (scale) {
          packed.bn_scale = scale->f;
          packed.bn_shift = shift->f;
          source = m.inputs[0];
        }
      }
    }
    binary[n.name] = std::move(packed);
    n.op = "HybridnetBinaryConv";
    n.inputs = {source};
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
