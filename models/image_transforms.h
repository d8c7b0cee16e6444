// The folder dataset's transforms, as torchvision's ImageNet recipe does them: training takes a
// random-resized crop (area 8%-100% of the image, aspect ratio 3/4-4/3) and a horizontal flip,
// evaluation resizes the shorter side to crop / 0.875 and takes the centre crop; both resample
// with a triangle (bilinear) filter widened by the downscale factor, as PIL's antialiased
// resize does, and normalise per channel on the way out. Torch-free.
#pragma once

#include <random>
#include <vector>

#include "models/image_decode.h"

namespace hybridnet::models {

/// A region of the source image, in pixels: top-left corner and size.
struct CropBox {
  int x = 0, y = 0, width = 0, height = 0;
  bool operator==(const CropBox& o) const {
    return x == o.x && y == o.y && width == o.width && height == o.height;
  }
};

/// torchvision's RandomResizedCrop.get_params: ten tries at a random area and log-uniform
/// aspect ratio, then the centre crop at the nearest allowed ratio.
CropBox random_resized_crop_box(int width, int height, std::mt19937_64& rng,
                                double scale_min = 0.08, double scale_max = 1.0,
                                double ratio_min = 3.0 / 4.0, double ratio_max = 4.0 / 3.0);

/// The region Resize(round(max(out) / 0.875)) + CenterCrop(out) takes from the source.
CropBox center_crop_box(int width, int height, int out_width, int out_height);

/// Per-channel normalisation: value = (pixel / 255 - mean[c]) / std[c]; empty = pixel / 255.
struct ChannelNorm {
  std::vector<float> mean, std;
};

/// Resamples `box` of `image` to out_width x out_height (mirrored when `flip`) and writes
/// channels x height x width floats to `out`.
void resample_to(const Image& image, const CropBox& box, int out_width, int out_height, bool flip,
                 const ChannelNorm& norm, float* out);

}  // namespace hybridnet::models
