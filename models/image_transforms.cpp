#include "models/image_transforms.h"

#include <algorithm>
#include <cmath>

#include "models/error.h"

namespace hybridnet::models {

namespace {

// The taps of `out` output samples over one axis: output o reads `taps` source pixels from
// first[o] with weights[o * taps ...] (normalised; zero-padded to the widest output's count, so
// the inner loops have a fixed length).
struct AxisTaps {
  int taps = 0;
  std::vector<int> first;
  std::vector<float> weights;
};

// PIL's antialiased bilinear coefficients for `out` samples of the source range
// [start, start + length) within an axis of `size` pixels.
AxisTaps filter_taps(int start, int length, int out, int size) {
  const double scale = static_cast<double>(length) / out;
  const double support = std::max(scale, 1.0);  // the triangle's radius in source pixels
  AxisTaps a;
  a.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  a.taps = std::min(a.taps, size);
  a.first.resize(out);
  a.weights.assign(static_cast<size_t>(out) * a.taps, 0.0f);
  for (int o = 0; o < out; ++o) {
    const double centre = start + (o + 0.5) * scale;
    int lo = std::max(0, static_cast<int>(std::floor(centre - support)));
    const int hi = std::min(size, static_cast<int>(std::ceil(centre + support)));
    lo = std::max(0, std::min(lo, hi - a.taps));  // a full window inside the image
    a.first[o] = lo;
    float* w = &a.weights[static_cast<size_t>(o) * a.taps];
    double sum = 0;
    for (int k = 0; k < a.taps; ++k) {
      const double d = std::abs((lo + k + 0.5 - centre) / support);
      w[k] = static_cast<float>(std::max(0.0, 1.0 - d));
      sum += w[k];
    }
    if (sum <= 0) {  // cannot happen for a box inside the image; keep the nearest pixel anyway
      const int nearest = std::clamp(static_cast<int>(centre), lo, lo + a.taps - 1);
      w[nearest - lo] = 1.0f;
      sum = 1;
    }
    for (int k = 0; k < a.taps; ++k) w[k] = static_cast<float>(w[k] / sum);
  }
  return a;
}

}  // namespace

CropBox random_resized_crop_box(int width, int height, std::mt19937_64& rng, double scale_min,
                                double scale_max, double ratio_min, double ratio_max) {
  const double area = static_cast<double>(width) * height;
  std::uniform_real_distribution<double> scale(scale_min, scale_max);
  std::uniform_real_distribution<double> log_ratio(std::log(ratio_min), std::log(ratio_max));
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * scale(rng);
    const double aspect = std::exp(log_ratio(rng));
    const int w = static_cast<int>(std::lround(std::sqrt(target * aspect)));
    const int h = static_cast<int>(std::lround(std::sqrt(target / aspect)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const int y = std::uniform_int_distribution<int>(0, height - h)(rng);
      const int x = std::uniform_int_distribution<int>(0, width - w)(rng);
      return {x, y, w, h};
    }
  }
  // Fallback: the whole image cut to the nearest allowed aspect ratio, centred.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < ratio_min)
    h = static_cast<int>(std::lround(w / ratio_min));
  else if (in_ratio > ratio_max)
    w = static_cast<int>(std::lround(h * ratio_max));
  return {(width - w) / 2, (height - h) / 2, w, h};
}

CropBox center_crop_box(int width, int height, int out_width, int out_height) {
  // Resize the shorter side to `resized`, then cut out_width x out_height from the centre: in
  // source pixels the cut is out / s wide, s = resized / shorter side.
  const double resized = std::round(std::max(out_width, out_height) / 0.875);
  const double s = resized / std::min(width, height);
  const int w = std::min(width, static_cast<int>(std::lround(out_width / s)));
  const int h = std::min(height, static_cast<int>(std::lround(out_height / s)));
  return {static_cast<int>(std::lround((width - w) / 2.0)),
          static_cast<int>(std::lround((height - h) / 2.0)), std::max(1, w), std::max(1, h)};
}

void resample_to(const Image& image, const CropBox& box, int out_width, int out_height, bool flip,
                 const ChannelNorm& norm, float* out) {
  const int c = image.channels;
  if (box.width <= 0 || box.height <= 0 || box.x < 0 || box.y < 0 ||
      box.x + box.width > image.width || box.y + box.height > image.height)
    throw DataError("crop box outside the image");
  if (!norm.mean.empty() && (static_cast<int>(norm.mean.size()) != c ||
                             static_cast<int>(norm.std.size()) != c))
    throw ConfigError("normalisation has " + std::to_string(norm.mean.size()) +
                      " channels; the images have " + std::to_string(c));
  const AxisTaps xt = filter_taps(box.x, box.width, out_width, image.width);
  const AxisTaps yt = filter_taps(box.y, box.height, out_height, image.height);
  // Vertical pass first, over the source columns the horizontal taps read: each output row is
  // a weighted sum of whole source rows, contiguous, which the compiler vectorises. Then the
  // horizontal pass over out_height rows only.
  const int col0 = xt.first.front(), col1 = xt.first.back() + xt.taps;
  const size_t span = static_cast<size_t>(col1 - col0) * c;
  std::vector<float> rows(static_cast<size_t>(out_height) * span);
  for (int o = 0; o < out_height; ++o) {
    float* __restrict dst = rows.data() + static_cast<size_t>(o) * span;
    const float* w = &yt.weights[static_cast<size_t>(o) * yt.taps];
    std::fill(dst, dst + span, 0.0f);
    for (int k = 0; k < yt.taps; ++k) {
      const float wk = w[k];
      if (wk == 0.0f) continue;  // the padding of a window wider than this output's taps
      const uint8_t* __restrict src =
          image.pixels.data() + (static_cast<size_t>(yt.first[o] + k) * image.width + col0) * c;
      for (size_t j = 0; j < span; ++j) dst[j] += wk * src[j];
    }
  }
  std::vector<float> scale(c, 1.0f / 255.0f), shift(c, 0.0f);
  for (int ch = 0; ch < c && !norm.mean.empty(); ++ch) {
    scale[ch] = 1.0f / (255.0f * norm.std[ch]);
    shift[ch] = -norm.mean[ch] / norm.std[ch];
  }
  const size_t plane = static_cast<size_t>(out_width) * out_height;
  std::vector<float> acc(static_cast<size_t>(out_width) * c);
  for (int o = 0; o < out_height; ++o) {
    const float* row = rows.data() + static_cast<size_t>(o) * span;
    for (int x = 0; x < out_width; ++x) {
      const int src_x = flip ? out_width - 1 - x : x;
      const float* w = &xt.weights[static_cast<size_t>(src_x) * xt.taps];
      const float* p = row + static_cast<size_t>(xt.first[src_x] - col0) * c;
      float* a = &acc[static_cast<size_t>(x) * c];
      if (c == 3) {
        float a0 = 0, a1 = 0, a2 = 0;
        for (int k = 0; k < xt.taps; ++k) {
          a0 += w[k] * p[3 * k];
          a1 += w[k] * p[3 * k + 1];
          a2 += w[k] * p[3 * k + 2];
        }
        a[0] = a0, a[1] = a1, a[2] = a2;
      } else {
        for (int ch = 0; ch < c; ++ch) {
          float s = 0;
          for (int k = 0; k < xt.taps; ++k) s += w[k] * p[c * k + ch];
          a[ch] = s;
        }
      }
    }
    for (int ch = 0; ch < c; ++ch) {
      float* dst = out + ch * plane + static_cast<size_t>(o) * out_width;
      for (int x = 0; x < out_width; ++x) dst[x] = acc[static_cast<size_t>(x) * c + ch] * scale[ch] + shift[ch];
    }
  }
}

}  // namespace hybridnet::models
