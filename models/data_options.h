// What data to load: dataset name, location, subsets, split, normalisation, augmentation. Plain
// struct without torch types, so that torch-free code (analysis/, search/) can name a dataset.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace hybridnet::models {

struct DataOptions {
  std::string name = "fashion-mnist";  ///< fashion-mnist | mnist | cifar10 | cifar100 | folder | synthetic
  std::string dir;                     ///< empty = the dataset's default location
  int64_t subset = 0;                  ///< training images used, the first N of the file (0 = all)
  int64_t test_subset = 0;             ///< test images used, the first N (0 = all)
  double val_fraction = 0;  ///< last fraction of the training images held out for validation
  bool normalize = true;    ///< per-channel mean/std of the dataset
  int augment = -1;  ///< 1 on, 0 off, -1 = the dataset's default (CIFAR and folder: on)
  // Synthetic data: class prototypes plus Gaussian noise, seeded.
  int64_t synthetic_train = 512;
  int64_t synthetic_test = 256;
  int synthetic_classes = 10;
  int synthetic_channels = 1;
  int synthetic_size = 28;
  uint64_t synthetic_seed = 1;
  // Image folders (name "folder", see models/image_folder.h). In JSON only for that dataset, so
  // the identity of every other run is what it was before folders existed.
  std::vector<int> input;          ///< crop [height, width]; empty = 224 x 224
  int channels = 3;                ///< 3 RGB or 1 grey
  std::vector<float> mean, std;    ///< per channel; empty = measured on the training images
  std::vector<std::string> classes;  ///< filled from the folder when a run is made
  double test_fraction = 0.1;  ///< held out of train/ as the test split when there is no val/
  bool strict = false;         ///< an unreadable image is an error instead of skipped
};
void to_json(nlohmann::json& j, const DataOptions& o);
void from_json(const nlohmann::json& j, DataOptions& o);
/// A folder dataset's crop [height, width]: data.input, or 224 x 224.
std::pair<int, int> folder_input(const DataOptions& o);
/// Every key a data object may have, at its default (what strict reading checks keys against).
nlohmann::json data_option_keys();

/// Image shape and class count of a dataset, known without reading it (for costs and plans).
struct DataShape {
  int channels = 1, height = 28, width = 28, num_classes = 10;
};
/// Throws ConfigError naming the field ("data.subset must be in [0, ...], not -5") for a value
/// out of range.
void validate(const DataOptions& options);
/// Throws ConfigError for an unknown dataset name or a value out of range (validate).
DataShape data_shape(const DataOptions& options);

/// The per-channel normalisation images get after scaling to [0, 1]: x' = (x - mean) / std.
/// Empty when there is none (options.normalize off, or a dataset without known statistics).
struct Normalisation {
  std::vector<float> mean, std;
  bool empty() const { return mean.empty(); }
};
Normalisation normalisation(const DataOptions& options);

/// Names of the dataset's classes by label ("T-shirt/top", ...); "0", "1", ... when unnamed.
std::vector<std::string> class_names(const DataOptions& options);

}  // namespace hybridnet::models
