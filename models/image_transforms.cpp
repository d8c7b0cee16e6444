#include "models/image_transforms.h"

#include <algorithm>
#include <cmath>

#include "models/error.h"

namespace hybridnet::models {

namespace {

// One output coordinate's taps: the first source index and its normalised weights.
struct Taps {
  int first = 0;
  std::vector<float> weights;
};

// PIL's antialiased bilinear coefficients for `out` samples of the source range
// [start, start + length) within an axis of `size` pixels.
std::vector<Taps> filter_taps(int start, int length, int out, int size) {
  const double scale = static_cast<double>(length) / out;
  const double support = std::max(scale, 1.0);  // the triangle's radius in source pixels
  std::vector<Taps> taps(out);
  for (int o = 0; o < out; ++o) {
    const double centre = start + (o + 0.5) * scale;
    const int lo = std::max(0, static_cast<int>(std::floor(centre - support)));
    const int hi = std::min(size, static_cast<int>(std::ceil(centre + support)));
    Taps& t = taps[o];
    t.first = lo;
    double sum = 0;
    for (int i = lo; i < hi; ++i) {
      const double w = std::max(0.0, 1.0 - std::abs((i + 0.5 - centre) / support));
      t.weights.push_back(static_cast<float>(w));
      sum += w;
    }
    if (sum <= 0) {  // cannot happen for a box inside the image; keep the nearest pixel anyway
      t.first = std::clamp(static_cast<int>(centre), 0, size - 1);
      t.weights = {1.0f};
      sum = 1;
    }
    for (auto& w : t.weights) w = static_cast<float>(w / sum);
  }
  return taps;
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
  const auto xt = filter_taps(box.x, box.width, out_width, image.width);
  const auto yt = filter_taps(box.y, box.height, out_height, image.height);
  // Horizontal pass over the source rows the vertical taps read, then the vertical pass.
  const int row0 = yt.front().first;
  const int row1 = yt.back().first + static_cast<int>(yt.back().weights.size());
  std::vector<float> rows(static_cast<size_t>(row1 - row0) * out_width * c);
  for (int y = row0; y < row1; ++y) {
    const uint8_t* src = image.pixels.data() + static_cast<size_t>(y) * image.width * c;
    float* dst = rows.data() + static_cast<size_t>(y - row0) * out_width * c;
    for (int o = 0; o < out_width; ++o) {
      const Taps& t = xt[flip ? out_width - 1 - o : o];
      for (int ch = 0; ch < c; ++ch) {
        float acc = 0;
        for (size_t k = 0; k < t.weights.size(); ++k)
          acc += t.weights[k] * src[(t.first + k) * c + ch];
        dst[o * c + ch] = acc;
      }
    }
  }
  std::vector<float> scale(c, 1.0f / 255.0f), shift(c, 0.0f);
  for (int ch = 0; ch < c && !norm.mean.empty(); ++ch) {
    scale[ch] = 1.0f / (255.0f * norm.std[ch]);
    shift[ch] = -norm.mean[ch] / norm.std[ch];
  }
  const size_t plane = static_cast<size_t>(out_width) * out_height;
  for (int o = 0; o < out_height; ++o) {
    const Taps& t = yt[o];
    for (int x = 0; x < out_width; ++x)
      for (int ch = 0; ch < c; ++ch) {
        float acc = 0;
        for (size_t k = 0; k < t.weights.size(); ++k)
          acc += t.weights[k] * rows[((t.first - row0 + k) * out_width + x) * c + ch];
        out[ch * plane + static_cast<size_t>(o) * out_width + x] = acc * scale[ch] + shift[ch];
      }
  }
}

}  // namespace hybridnet::models
