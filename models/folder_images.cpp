#include "models/folder_images.h"

#include <tbb/parallel_for.h>

#include <cstdio>
#include <random>

#include "models/error.h"
#include "models/image_decode.h"

namespace hybridnet::models {

FolderImages::FolderImages(ImageList list, int channels, int height, int width, ChannelNorm norm,
                           bool strict)
    : list_(std::move(list)), channels_(channels), height_(height), width_(width),
      norm_(std::move(norm)), strict_(strict) {}

template <class BoxOf>
bool FolderImages::decode_into(int64_t i, BoxOf box_of, bool flip, float* out) const {
  const std::string& path = list_.paths.at(static_cast<size_t>(i));
  try {
    const Image image = read_image(path, channels_);
    resample_to(image, box_of(image), width_, height_, flip, norm_, out);
    return true;
  } catch (const DataError& e) {
    if (strict_) throw;
    std::lock_guard<std::mutex> lock(warned_mutex_);
    if (warned_.insert(path).second)
      std::fprintf(stderr, "warning: %s; it is used as a blank image\n", e.what());
    return false;
  }
}

torch::Tensor FolderImages::rows(int64_t begin, int64_t end) const {
  std::vector<int64_t> index;
  for (int64_t i = begin; i < end; ++i) index.push_back(i);
  return centre_crops(index.data(), static_cast<int64_t>(index.size()));
}

torch::Tensor FolderImages::centre_crops(const int64_t* index, int64_t n) const {
  auto out = torch::zeros({n, channels_, height_, width_}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  const int64_t per_image = int64_t{channels_} * height_ * width_;
  tbb::parallel_for(int64_t{0}, n, [&](int64_t k) {
    decode_into(
        index[k],
        [&](const Image& im) { return center_crop_box(im.width, im.height, width_, height_); },
        false, data + k * per_image);
  });
  return out;
}

torch::Tensor FolderImages::augmented(const int64_t* index, int64_t n, uint64_t seed) const {
  auto out = torch::zeros({n, channels_, height_, width_}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  const int64_t per_image = int64_t{channels_} * height_ * width_;
  tbb::parallel_for(int64_t{0}, n, [&](int64_t k) {
    // Each image's own stream: its crop does not depend on which thread decodes it or when.
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                      static_cast<uint32_t>(k)};
    std::mt19937_64 rng(seq);
    const bool flip = std::bernoulli_distribution(0.5)(rng);
    decode_into(
        index[k],
        [&](const Image& im) { return random_resized_crop_box(im.width, im.height, rng); }, flip,
        data + k * per_image);
  });
  return out;
}

}  // namespace hybridnet::models
