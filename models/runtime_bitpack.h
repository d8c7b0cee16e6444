// What the binary (runtime_binary.h) and k-bit (runtime_kbit.h) convolutions share: a conv's
// window, bit-packed receptive fields (bit t * C + c of a pixel's field is channel c of tap t,
// taps in the zero padding packed as zeros), the classes of border pixels whose padded taps
// must be corrected for, and the loop over blocks of output pixels. No torch.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "models/runtime_graph.h"
#include "models/vector_clones.h"

namespace hybridnet::models::runtime {

/// A bit-packed convolution's window and field size.
struct BitConvShape {
  int64_t out_channels = 0, in_channels = 0, kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t row_words = 0;  ///< ceil(kernel_h * kernel_w * in_channels / 64)

  int64_t taps() const { return kernel_h * kernel_w; }
  /// The bit of a receptive field that holds channel `channel` of tap `tap`.
  int64_t field_bit(int64_t tap, int64_t channel) const { return tap * in_channels + channel; }
  /// Sets the channel counts and kernel from a weight shape [O, I, kh, kw], and row_words.
  void set_kernel(const std::vector<int64_t>& weight_shape);
  /// Takes strides and pads from a Conv node; false when it is not a plain 2-D convolution
  /// (groups, dilations, other ranks).
  bool set_window(const Node& conv);
};

/// An input's batch and sizes and the output's, for one call.
struct ConvExtent {
  int64_t n = 0, c = 0, h = 0, w = 0, oh = 0, ow = 0;
};
/// The extent of a float input [N, C, H, W]; ConfigError naming `what` when it does not fit.
ConvExtent conv_extent(const Tensor& x, const BitConvShape& s, const char* what);

/// Which taps of an output pixel's window fall in the zero padding depends only on its row's
/// in-bounds kernel rows and its column's kernel columns: a few classes per layer.
struct BorderClasses {
  std::vector<int> row_class, col_class;  ///< per output row / column
  int col_classes = 0;
  std::vector<int32_t> inside;           ///< [class]: in-bounds taps
  std::vector<std::vector<int>> padded;  ///< [class]: its padded taps
  int interior = -1;                     ///< the class with no padded tap, or -1

  int at(int64_t y, int64_t x) const { return row_class[y] * col_classes + col_class[x]; }
};

/// Steps (y, x) to the next output pixel of a row-major plane `ow` wide: the loops over a block's
/// pixels walk rows and columns instead of dividing each pixel's index (a division per pixel
/// took a tenth of a fast binary layer's time).
inline void next_pixel(int64_t& y, int64_t& x, int64_t ow) {
  if (++x == ow) {
    x = 0;
    ++y;
  }
}
BorderClasses border_classes(const BitConvShape& s, const ConvExtent& e);

/// Ones among bits [begin, end) of a bit row.
int32_t count_bits(const uint64_t* row, int64_t begin, int64_t end);

/// Packs the receptive fields of output pixels [first, last) of one image into `fields`
/// ([row_words][cols], word-major so the popcount kernels' counts come out filter by filter):
/// every word of columns 0 ... last - first - 1; the columns past them are left as they were.
/// `image_bits`: the image's channel-packed bits [H][W][channel_words].
void pack_fields(const uint64_t* image_bits, int64_t channel_words, const BitConvShape& s,
                 const ConvExtent& e, const BorderClasses& borders, int64_t first, int64_t last,
                 int64_t cols, uint64_t* fields);

/// Output pixels per block: enough to reuse each filter word, few enough to stay in cache.
constexpr int64_t kPixelBlock = 64;

/// Calls fn(image, first, last) for every block of output pixels of every image, in parallel
/// (TBB).
void for_pixel_blocks(const ConvExtent& e,
                      const std::function<void(int64_t, int64_t, int64_t)>& fn);

}  // namespace hybridnet::models::runtime
