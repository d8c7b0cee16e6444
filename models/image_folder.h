// The folder dataset's layout (torchvision's ImageFolder): ROOT/train/<class>/<image> and,
// optionally, ROOT/val/<class>/<image> as the test split. Classes are the train split's
// subdirectories sorted by name (label = position); images are the .jpg, .jpeg and .png files
// (any case) under a class directory, sorted by path. Torch-free: it lists files, it does not
// decode them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hybridnet::models {

struct ImageList {
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
  size_t size() const { return paths.size(); }
};

/// The class directories of a split (sorted); a DataError names the split when there are none.
std::vector<std::string> list_classes(const std::string& split_dir);

/// Every image of `split_dir` whose class is among `classes` (labels are positions in it);
/// a DataError names a class directory with no image, or one not among `classes`.
ImageList list_images(const std::string& split_dir, const std::vector<std::string>& classes);

/// The folder's evaluation split, ROOT/val or ROOT/test, or empty when it has neither.
std::string evaluation_split_dir(const std::string& root);

/// Files that failed a check, and how many did: the first few paths are kept for the message.
struct BadFiles {
  int64_t count = 0;
  std::vector<std::string> first;  ///< "path: why", at most kShown
  static constexpr int kShown = 3;
  void add(const std::string& path, const std::string& why);
  /// "3 unreadable images in DIR: cls/a.jpg: truncated JPEG ...; ..." (paths relative to DIR)
  std::string message(const std::string& where) const;
};

}  // namespace hybridnet::models
