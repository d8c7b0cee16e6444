#include "models/runtime_kbit.h"

#include <algorithm>
#include <cmath>

#include "models/runtime_patterns.h"

namespace hybridnet::models::runtime {

namespace {

// Codes of one filter for alpha and n levels, or false when its values are not on that grid.
bool filter_codes(const float* f, int64_t size, float alpha, int levels, std::vector<int>& codes) {
  if (!(alpha > 0) || !std::isfinite(alpha)) return false;
  codes.resize(static_cast<size_t>(size));
  for (int64_t i = 0; i < size; ++i) {
    const double level = (double(f[i]) / alpha + 1) * levels / 2;
    const double code = std::round(level);
    if (code < 0 || code > levels || std::fabs(level - code) > 1e-3) return false;
    const double value = double(alpha) * (2 * code / levels - 1);
    if (std::fabs(value - f[i]) > 1e-5 * alpha) return false;
    codes[i] = int(code);
  }
  return true;
}

}  // namespace

bool pack_kbit_weights(const Tensor& w, KbitConvWeights& out) {
  if (w.type != ElementType::kFloat || w.shape.size() != 4) return false;
  out.set_kernel(w.shape);
  const int64_t taps = out.taps(), size = out.in_channels * taps, o_count = out.out_channels;
  float layer_max = 0;
  for (float v : w.f) layer_max = std::max(layer_max, std::fabs(v));
  // Each filter's alpha is its largest |w| (a q_k code of 0 or n) or, for a filter without
  // either extreme code, the layer's.
  std::vector<std::vector<int>> codes(static_cast<size_t>(o_count));
  for (int bits = 1; bits <= 8; ++bits) {
    const int levels = (1 << bits) - 1;
    bool fits = true;
    out.alpha.assign(static_cast<size_t>(o_count), 0.0f);
    for (int64_t o = 0; o < o_count && fits; ++o) {
      const float* f = w.f.data() + o * size;
      float alpha = 0;
      for (int64_t i = 0; i < size; ++i) alpha = std::max(alpha, std::fabs(f[i]));
      if (!filter_codes(f, size, alpha, levels, codes[o])) {
        alpha = layer_max;
        fits = filter_codes(f, size, alpha, levels, codes[o]);
      }
      out.alpha[o] = alpha;
    }
    if (!fits) continue;
    out.weight_bits = bits;
    out.planes.assign(static_cast<size_t>(bits * o_count * out.row_words), 0);
    out.plane_ones.assign(static_cast<size_t>(bits * o_count), 0);
    for (int j = 0; j < bits; ++j)
      for (int64_t o = 0; o < o_count; ++o) {
        uint64_t* row = out.planes.data() + (j * o_count + o) * out.row_words;
        for (int64_t c = 0; c < out.in_channels; ++c)
          for (int64_t t = 0; t < taps; ++t)
            if ((codes[o][c * taps + t] >> j) & 1) {
              const int64_t bit = out.field_bit(t, c);
              row[bit / 64] |= uint64_t{1} << (bit % 64);
              ++out.plane_ones[j * o_count + o];
            }
      }
    return true;
  }
  return false;
}

int input_code(float x, int bits) {
  if (bits == 1) return x >= 0 ? 1 : 0;
  const float n = float((1 << bits) - 1);
  float y = std::min(std::max(x, -1.0f), 1.0f);  // Clip
  y = y + 1.0f;
  y = n * y;
  y = y / 2.0f;
  y = y + 0.5f;
  return int(std::floor(y));
}

namespace {

float bn_input(const Tensor& x, const KbitConvWeights& w, int64_t index, int64_t channel) {
  const float v = x.f[index];
  return w.bn_scale.empty() ? v : v * w.bn_scale[channel] + w.bn_shift[channel];
}

int weight_code(const KbitConvWeights& w, int64_t o, int64_t bit) {
  int code = 0;
  for (int j = 0; j < w.weight_bits; ++j) {
    const uint64_t* row = w.planes.data() + (j * w.out_channels + o) * w.row_words;
    code |= int((row[bit / 64] >> (bit % 64)) & 1) << j;
  }
  return code;
}

// out = alpha / (n_x n_w) * sum u v, the one rounding of the k-bit kernels.
float scaled(const KbitConvWeights& w, int64_t o, int64_t sum) {
  const double scale = double(w.alpha[o]) / (double(w.input_levels()) * w.weight_levels());
  return float(scale * double(sum));
}

// The plain reference: u v summed tap by tap, channel by channel, padding skipped.
void reference_conv(const Tensor& x, const KbitConvWeights& w, const ConvExtent& e, Tensor& out) {
  const int nx = w.input_levels(), nw = w.weight_levels();
  for (int64_t b = 0; b < e.n; ++b)
    for (int64_t o = 0; o < w.out_channels; ++o)
      for (int64_t y = 0; y < e.oh; ++y)
        for (int64_t xx = 0; xx < e.ow; ++xx) {
          int64_t sum = 0;
          for (int64_t ky = 0; ky < w.kernel_h; ++ky)
            for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
              const int64_t iy = y * w.stride_h + ky - w.pad_top;
              const int64_t ix = xx * w.stride_w + kx - w.pad_left;
              if (iy < 0 || iy >= e.h || ix < 0 || ix >= e.w) continue;
              for (int64_t c = 0; c < e.c; ++c) {
                const int u =
                    2 * input_code(bn_input(x, w, ((b * e.c + c) * e.h + iy) * e.w + ix, c),
                                   w.input_bits) -
                    nx;
                const int v = 2 * weight_code(w, o, w.field_bit(ky * w.kernel_w + kx, c)) - nw;
                sum += int64_t(u) * v;
              }
            }
          out.f[((b * w.out_channels + o) * e.oh + y) * e.ow + xx] = scaled(w, o, sum);
        }
}

// Codes of one channel plane, as input_code computes them (in a loop the compiler vectorises).
// (The clamp is written as selects and the floor as a truncation: std::min, std::max and
// std::floor, the same values, keep GCC from vectorising the loop.)
HYBRIDNET_VECTOR_CLONES void plane_codes(const float* x, int64_t size, float scale, float shift,
                                         bool bn, int bits, int32_t* codes) {
  std::vector<float> normed;
  if (bn) {
    normed.resize(static_cast<size_t>(size));
    for (int64_t p = 0; p < size; ++p) normed[p] = x[p] * scale + shift;
    x = normed.data();
  }
  if (bits == 1) {
    for (int64_t p = 0; p < size; ++p) codes[p] = x[p] >= 0 ? 1 : 0;
    return;
  }
  const float n = float((1 << bits) - 1);
  for (int64_t p = 0; p < size; ++p) {
    float y = x[p] < -1.0f ? -1.0f : x[p];
    y = y > 1.0f ? 1.0f : y;
    // The value is at least 0.5, so truncation is the graph's Floor (and vectorises).
    codes[p] = int32_t(n * (y + 1.0f) / 2.0f + 0.5f);
  }
}

// ones[r] = the 1 bits of field column r (word-major fields [words][cols]).
HYBRIDNET_POPCNT_CLONES
void column_ones(const uint64_t* fields, int64_t words, int64_t cols, int64_t rows, int32_t* ones) {
  std::fill(ones, ones + rows, 0);
  for (int64_t k = 0; k < words; ++k)
    for (int64_t r = 0; r < rows; ++r) ones[r] += __builtin_popcountll(fields[k * cols + r]);
}

// acc[o][r] += 2^shift popcount(X_i AND W_j) = 2^shift (ones_x + ones_w - mismatches) / 2.
HYBRIDNET_VECTOR_CLONES void add_and_counts(const int32_t* mismatches, const int32_t* x_ones,
                                            const int32_t* w_ones, int64_t filters, int64_t rows,
                                            int64_t cols, int shift, int64_t* acc) {
  for (int64_t o = 0; o < filters; ++o) {
    const int32_t* m = mismatches + o * cols;
    int64_t* a = acc + o * cols;
    const int32_t wo = w_ones[o];
    for (int64_t r = 0; r < rows; ++r) a[r] += int64_t((x_ones[r] + wo - m[r]) >> 1) << shift;
  }
}

// dst[p * stride] |= bit i of codes[p], at bit `shift`.
HYBRIDNET_VECTOR_CLONES void or_code_bits(const int32_t* codes, int64_t size, int i, int shift,
                                          uint64_t* dst, int64_t stride) {
  if (stride == 1) {
    for (int64_t p = 0; p < size; ++p) dst[p] |= uint64_t((codes[p] >> i) & 1) << shift;
  } else {
    for (int64_t p = 0; p < size; ++p) dst[p * stride] |= uint64_t((codes[p] >> i) & 1) << shift;
  }
}

// Bit planes of the input codes, channel-packed: [bits][N][H][W][words].
std::vector<uint64_t> pack_codes(const Tensor& x, const KbitConvWeights& w, int64_t words) {
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  const int64_t plane = n * hw * words;
  std::vector<uint64_t> bits(static_cast<size_t>(w.input_bits * plane), 0);
  std::vector<int32_t> codes(static_cast<size_t>(hw));
  const bool bn = !w.bn_scale.empty();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      plane_codes(x.f.data() + (b * c + ch) * hw, hw, bn ? w.bn_scale[ch] : 1.0f,
                  bn ? w.bn_shift[ch] : 0.0f, bn, w.input_bits, codes.data());
      for (int i = 0; i < w.input_bits; ++i)
        or_code_bits(codes.data(), hw, i, int(ch % 64),
                     bits.data() + i * plane + b * hw * words + ch / 64, words);
    }
  return bits;
}

// Per border class and filter: n_x times the sum of v over the padded taps (what packing them
// as code 0 took away, to be added back).
std::vector<int64_t> padding_corrections(const KbitConvWeights& w, const BorderClasses& b) {
  const int64_t o_count = w.out_channels, taps = w.taps();
  const int nx = w.input_levels(), nw = w.weight_levels();
  std::vector<int64_t> code_sum(static_cast<size_t>(taps * o_count), 0);  // sum of c_w per tap
  for (int j = 0; j < w.weight_bits; ++j)
    for (int64_t o = 0; o < o_count; ++o)
      for (int64_t t = 0; t < taps; ++t)
        code_sum[t * o_count + o] +=
            int64_t(count_bits(w.planes.data() + (j * o_count + o) * w.row_words, w.field_bit(t, 0),
                               w.field_bit(t + 1, 0)))
            << j;
  std::vector<int64_t> correction(b.padded.size() * o_count, 0);
  for (size_t k = 0; k < b.padded.size(); ++k)
    for (int t : b.padded[k])
      for (int64_t o = 0; o < o_count; ++o)
        correction[k * o_count + o] +=
            int64_t(nx) * (2 * code_sum[t * o_count + o] - int64_t(nw) * w.in_channels);
  return correction;
}

struct Planes {
  const uint64_t* bits;  // [bits][N][H][W][words]
  int64_t plane, words;  // one plane's words; words per pixel
};

void kbit_pixels(const Planes& x, int64_t image, const KbitConvWeights& w, const ConvExtent& e,
                 const BorderClasses& borders, const std::vector<int64_t>& corrections,
                 KernelSet set, int64_t first, int64_t last, float* out_image) {
  const int64_t rows = last - first, o_count = w.out_channels, kw = w.row_words;
  const int64_t cols = (rows + kColumnBlock - 1) / kColumnBlock * kColumnBlock;
  const int nx = w.input_levels(), nw = w.weight_levels();
  std::vector<uint64_t> fields(static_cast<size_t>(kw * cols));
  std::vector<int32_t> counts(static_cast<size_t>(o_count * cols));
  std::vector<int64_t> product(static_cast<size_t>(o_count * cols), 0);  // sum c_x c_w
  std::vector<int64_t> code_sum(static_cast<size_t>(cols), 0);           // sum c_x
  std::vector<int32_t> ones(static_cast<size_t>(cols));                  // of one input plane
  for (int i = 0; i < w.input_bits; ++i) {
    std::fill(fields.begin(), fields.end(), 0);
    pack_fields(x.bits + i * x.plane + image * e.h * e.w * x.words, x.words, w, e, borders, first,
                last, cols, fields.data());
    column_ones(fields.data(), kw, cols, rows, ones.data());
    for (int64_t r = 0; r < rows; ++r) code_sum[r] += int64_t(ones[r]) << i;
    for (int j = 0; j < w.weight_bits; ++j) {
      mismatch_counts(set, w.planes.data() + j * o_count * kw, o_count, kw, fields.data(), cols,
                      counts.data());
      add_and_counts(counts.data(), ones.data(), w.plane_ones.data() + j * o_count, o_count, rows,
                     cols, i + j, product.data());
    }
  }
  const int64_t field = w.taps() * e.c, plane = e.oh * e.ow;
  std::vector<std::pair<int64_t, int>> border;  // pixel, class: not interior
  for (int64_t r = 0, y = first / e.ow, x = first % e.ow; r < rows; ++r, next_pixel(y, x, e.ow))
    if (const int cls = borders.at(y, x); cls != borders.interior) border.push_back({r, cls});
  std::vector<int64_t> sum(static_cast<size_t>(rows));
  for (int64_t o = 0; o < o_count; ++o) {
    int64_t weight_sum = 0;  // sum c_w over the whole field
    for (int j = 0; j < w.weight_bits; ++j)
      weight_sum += int64_t(w.plane_ones[j * o_count + o]) << j;
    const int64_t constant = -2 * int64_t(nx) * weight_sum + int64_t(nx) * nw * field;
    const int64_t* prod = product.data() + o * cols;
    for (int64_t r = 0; r < rows; ++r)
      sum[r] = 4 * prod[r] - 2 * int64_t(nw) * code_sum[r] + constant;
    for (const auto& [r, cls] : border) sum[r] += corrections[cls * o_count + o];
    const double scale = double(w.alpha[o]) / (double(nx) * nw);
    float* dst = out_image + o * plane + first;
    for (int64_t r = 0; r < rows; ++r) dst[r] = float(scale * double(sum[r]));
  }
}

}  // namespace

Tensor kbit_conv(const Tensor& x, const KbitConvWeights& w, KernelSet set) {
  const ConvExtent e = conv_extent(x, w, "k-bit conv");
  Tensor out = Tensor::floats_for_overwrite({e.n, w.out_channels, e.oh, e.ow});
  if (set == KernelSet::kReference) {
    reference_conv(x, w, e, out);
    return out;
  }
  const int64_t words = (e.c + 63) / 64;
  const auto bits = pack_codes(x, w, words);
  const BorderClasses borders = border_classes(w, e);
  const auto corrections = padding_corrections(w, borders);
  const Planes planes{bits.data(), e.n * e.h * e.w * words, words};
  for_pixel_blocks(e, [&](int64_t b, int64_t first, int64_t last) {
    kbit_pixels(planes, b, w, e, borders, corrections, set, first, last,
                out.f.data() + b * w.out_channels * e.oh * e.ow);
  });
  return out;
}

int fuse_kbit_convs(Graph& g, std::map<std::string, KbitConvWeights>& kbit) {
  const PatternMatcher match(g);
  int fused = 0;
  for (auto& n : g.nodes) {
    if (!is_unbiased_conv(n)) continue;
    int levels = 1;
    std::string quantized = match.kbit_input(n.inputs[0], levels);
    if (quantized.empty()) quantized = match.sign_input(n.inputs[0]);
    auto weight = g.constants.find(n.inputs[1]);
    if (quantized.empty() || weight == g.constants.end()) continue;
    KbitConvWeights packed;
    if (!packed.set_window(n) || !pack_kbit_weights(weight->second, packed)) continue;
    packed.input_bits = 0;
    while ((1 << packed.input_bits) - 1 < levels) ++packed.input_bits;
    if (packed.input_bits == 1 && packed.weight_bits == 1) continue;  // binary: its own kernels
    const std::string source =
        match.batch_norm_input(quantized, packed.in_channels, packed.bn_scale, packed.bn_shift);
    kbit[n.name] = std::move(packed);
    make_fused(n, "HybridnetKbitConv", source);
    ++fused;
  }
  drop_unread(g);
  return fused;
}

}  // namespace hybridnet::models::runtime
