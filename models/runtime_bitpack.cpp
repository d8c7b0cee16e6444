#include "models/runtime_bitpack.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <string>

#include "models/error.h"

namespace hybridnet::models::runtime {

void BitConvShape::set_kernel(const std::vector<int64_t>& weight_shape) {
  out_channels = weight_shape.at(0);
  in_channels = weight_shape.at(1);
  kernel_h = weight_shape.at(2);
  kernel_w = weight_shape.at(3);
  row_words = (taps() * in_channels + 63) / 64;
}

bool BitConvShape::set_window(const Node& conv) {
  if (conv.attr("group", 1) != 1 ||
      conv.attr_list("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
    return false;
  const auto strides = conv.attr_list("strides", {1, 1});
  const auto pads = conv.attr_list("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || pads.size() != 4) return false;
  stride_h = strides[0];
  stride_w = strides[1];
  pad_top = pads[0];
  pad_left = pads[1];
  pad_bottom = pads[2];
  pad_right = pads[3];
  return true;
}

ConvExtent conv_extent(const Tensor& x, const BitConvShape& s, const char* what) {
  if (x.type != ElementType::kFloat || x.shape.size() != 4 || x.shape[1] != s.in_channels)
    throw ConfigError(std::string(what) + ": input " + shape_text(x.shape) + " does not fit " +
                      std::to_string(s.in_channels) + " input channels");
  ConvExtent e{x.shape[0], x.shape[1], x.shape[2], x.shape[3], 0, 0};
  e.oh = (e.h + s.pad_top + s.pad_bottom - s.kernel_h) / s.stride_h + 1;
  e.ow = (e.w + s.pad_left + s.pad_right - s.kernel_w) / s.stride_w + 1;
  return e;
}

BorderClasses border_classes(const BitConvShape& s, const ConvExtent& e) {
  BorderClasses b;
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
  classes(e.oh, s.stride_h, s.pad_top, s.kernel_h, e.h, b.row_class, rows);
  classes(e.ow, s.stride_w, s.pad_left, s.kernel_w, e.w, b.col_class, cols);
  b.col_classes = int(cols.size());
  for (const auto& r : rows)
    for (const auto& c : cols) {
      b.inside.push_back(int32_t(std::max<int64_t>(0, r.second - r.first) *
                                 std::max<int64_t>(0, c.second - c.first)));
      if (b.inside.back() == s.taps()) b.interior = int(b.inside.size()) - 1;
      b.padded.emplace_back();
      for (int64_t ky = 0; ky < s.kernel_h; ++ky)
        for (int64_t kx = 0; kx < s.kernel_w; ++kx)
          if (ky < r.first || ky >= r.second || kx < c.first || kx >= c.second)
            b.padded.back().push_back(int(ky * s.kernel_w + kx));
    }
  return b;
}

HYBRIDNET_POPCNT_CLONES
int32_t count_bits(const uint64_t* row, int64_t begin, int64_t end) {
  int32_t count = 0;
  if (begin % 64 == 0 && end % 64 == 0) {  // whole words (channels a multiple of 64)
    for (int64_t k = begin / 64; k < end / 64; ++k) count += __builtin_popcountll(row[k]);
    return count;
  }
  for (int64_t bit = begin; bit < end;) {
    const int64_t take = std::min<int64_t>(64 - bit % 64, end - bit);
    uint64_t word = row[bit / 64] >> (bit % 64);
    if (take < 64) word &= (uint64_t{1} << take) - 1;
    count += __builtin_popcountll(word);
    bit += take;
  }
  return count;
}

namespace {

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

// Whole channel words (C a multiple of 64): word t CW + cw of a pixel's field is word cw of the
// input pixel under its tap t, or zero in the padding. Output row by output row, each field
// word of the block's pixels is one strided copy from an input row, with zeros where the tap
// falls in the padding: no per-pixel work (a per-pixel scatter took a fifth of a 56x56x64
// layer's time).
void pack_whole_word_fields(const uint64_t* image_bits, int64_t channel_words,
                            const BitConvShape& s, const ConvExtent& e, int64_t first, int64_t last,
                            int64_t cols, uint64_t* fields) {
  for (int64_t p = first; p < last;) {
    const int64_t y = p / e.ow, x0 = p % e.ow;
    const int64_t n = std::min(last - p, e.ow - x0);  // this output row's pixels in the block
    for (int64_t ky = 0; ky < s.kernel_h; ++ky) {
      const int64_t iy = y * s.stride_h - s.pad_top + ky;
      for (int64_t kx = 0; kx < s.kernel_w; ++kx) {
        // Pixel x0 + i reads input column base + i stride: in bounds for lo <= i < hi.
        const int64_t base = x0 * s.stride_w - s.pad_left + kx;
        int64_t lo = 0, hi = 0;
        if (iy >= 0 && iy < e.h && base <= e.w - 1) {
          lo = base >= 0 ? 0 : (-base + s.stride_w - 1) / s.stride_w;
          hi = std::max(lo, std::min(n, (e.w - 1 - base) / s.stride_w + 1));
        }
        const int64_t step = s.stride_w * channel_words;
        for (int64_t cw = 0; cw < channel_words; ++cw) {
          uint64_t* dst = fields + ((ky * s.kernel_w + kx) * channel_words + cw) * cols + p - first;
          std::fill(dst, dst + lo, 0);
          if (hi > lo) {
            const uint64_t* src =
                image_bits + (iy * e.w + base + lo * s.stride_w) * channel_words + cw;
            for (int64_t i = lo; i < hi; ++i) dst[i] = src[(i - lo) * step];
          }
          std::fill(dst + hi, dst + n, 0);
        }
      }
    }
    p += n;
  }
}

}  // namespace

void pack_fields(const uint64_t* image_bits, int64_t channel_words, const BitConvShape& s,
                 const ConvExtent& e, const BorderClasses& borders, int64_t first, int64_t last,
                 int64_t cols, uint64_t* fields) {
  if (e.c % 64 == 0)
    return pack_whole_word_fields(image_bits, channel_words, s, e, first, last, cols, fields);
  const int64_t words = s.row_words;
  std::vector<uint64_t> row(static_cast<size_t>(words + 1));
  for (int64_t p = first, y = first / e.ow, x = first % e.ow; p < last;
       ++p, next_pixel(y, x, e.ow)) {
    const int64_t iy0 = y * s.stride_h - s.pad_top;
    const int64_t ix0 = x * s.stride_w - s.pad_left;
    const bool interior = borders.at(y, x) == borders.interior;
    if (interior && channel_words == 1) {
      // Narrow layers: each tap's C bits shifted into a word kept in a register, which goes
      // out to its place in `fields` when full.
      uint64_t word = 0;
      int used = 0;  // bits of `word` filled
      uint64_t* out = fields + (p - first);
      for (int64_t ky = 0; ky < s.kernel_h; ++ky) {
        const uint64_t* src = image_bits + (iy0 + ky) * e.w + ix0;
        for (int64_t kx = 0; kx < s.kernel_w; ++kx) {
          const uint64_t v = src[kx];
          word |= v << used;
          used += int(e.c);
          if (used >= 64) {
            *out = word;
            out += cols;
            used -= 64;
            word = used ? v >> (int(e.c) - used) : 0;
          }
        }
      }
      if (used) *out = word;
      continue;
    }
    std::fill(row.begin(), row.end(), 0);
    for (int64_t ky = 0; ky < s.kernel_h; ++ky)
      for (int64_t kx = 0; kx < s.kernel_w; ++kx) {
        const int64_t iy = iy0 + ky, ix = ix0 + kx;
        if (iy < 0 || iy >= e.h || ix < 0 || ix >= e.w) continue;
        put_bits(row.data(), s.field_bit(ky * s.kernel_w + kx, 0),
                 image_bits + (iy * e.w + ix) * channel_words, channel_words);
      }
    for (int64_t k = 0; k < words; ++k) fields[k * cols + (p - first)] = row[k];
  }
}

void for_pixel_blocks(const ConvExtent& e,
                      const std::function<void(int64_t, int64_t, int64_t)>& fn) {
  const int64_t pixels = e.oh * e.ow, blocks = (pixels + kPixelBlock - 1) / kPixelBlock;
  tbb::parallel_for(int64_t{0}, e.n * blocks, [&](int64_t job) {
    const int64_t first = (job % blocks) * kPixelBlock;
    fn(job / blocks, first, std::min(pixels, first + kPixelBlock));
  });
}

}  // namespace hybridnet::models::runtime
