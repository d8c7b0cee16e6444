// The images of one split of a folder dataset, decoded when a batch asks for them (an ImageNet
// split does not fit in memory as floats): evaluation batches take the centre crop, training
// batches a random-resized crop and flip whose draws depend only on the batch's seed and each
// image's place in it, so the same seed gives the same crops whatever the thread schedule.
// Images of a batch are decoded in parallel (TBB). A file that passed the load-time check but
// fails to decode becomes a zero (mean) image with a warning naming it once, or an error when
// the dataset is strict.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "models/image_folder.h"
#include "models/image_transforms.h"

namespace hybridnet::models {

class FolderImages {
 public:
  FolderImages(ImageList list, int channels, int height, int width, ChannelNorm norm, bool strict);

  int64_t size() const { return static_cast<int64_t>(list_.size()); }
  const ImageList& list() const { return list_; }

  /// Items [begin, end) with the evaluation transform: float [n, C, H, W].
  torch::Tensor rows(int64_t begin, int64_t end) const;
  /// The items at `index` with the evaluation transform.
  torch::Tensor centre_crops(const int64_t* index, int64_t n) const;
  /// The items at `index` with the training transform, drawn from `seed`: float [n, C, H, W].
  torch::Tensor augmented(const int64_t* index, int64_t n, uint64_t seed) const;

 private:
  // Decodes item `i` into `out` (C x H x W) with `box_of` choosing the crop; false when it
  // could not be decoded (then warned about, and `out` left at zero).
  template <class BoxOf>
  bool decode_into(int64_t i, BoxOf box_of, bool flip, float* out) const;

  ImageList list_;
  int channels_, height_, width_;
  ChannelNorm norm_;
  bool strict_;
  mutable std::mutex warned_mutex_;
  mutable std::set<std::string> warned_;
};

}  // namespace hybridnet::models
