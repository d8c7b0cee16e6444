// What data to load: dataset name, location, subsets, split, normalisation, augmentation. Plain
// struct without torch types, so that torch-free code (analysis/, search/) can name a dataset.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hybridnet::models {

struct DataOptions {
  std::string name = "fashion-mnist";  ///< fashion-mnist | mnist | cifar10 | cifar100 | synthetic
  std::string dir;                     ///< empty = the dataset's default location
  int64_t subset = 0;                  ///< training images used, the first N of the file (0 = all)
  int64_t test_subset = 0;             ///< test images used, the first N (0 = all)
  double val_fraction = 0;  ///< last fraction of the training images held out for validation
  bool normalize = true;    ///< per-channel mean/std of the dataset
  int augment = -1;         ///< random crop (pad 4) + horizontal flip: 1 on, 0 off, -1 = CIFAR only
  // Synthetic data: class prototypes plus Gaussian noise, seeded.
  int64_t synthetic_train = 512;
  int64_t synthetic_test = 256;
  int synthetic_classes = 10;
  int synthetic_channels = 1;
  int synthetic_size = 28;
  uint64_t synthetic_seed = 1;
};
// JSON round trip (run.json): keys are the field names; missing keys keep the defaults.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DataOptions, name, dir, subset, test_subset,
                                                val_fraction, normalize, augment, synthetic_train,
                                                synthetic_test, synthetic_classes,
                                                synthetic_channels, synthetic_size, synthetic_seed)


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
