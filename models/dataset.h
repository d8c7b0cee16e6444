// Datasets: MNIST / Fashion-MNIST IDX files (plain or .gz), CIFAR-10 / CIFAR-100 binary batches,
// image folders (models/image_folder.h; decoded per batch, not held in memory), and a synthetic
// generator for fast tests. Nothing is downloaded: a missing or malformed file is
// a DataError naming the path, what is wrong, and how to get the data.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "models/data_options.h"
#include "models/folder_images.h"

namespace hybridnet::models {

struct Dataset {
  torch::Tensor images;  ///< float [N, C, H, W], normalised; undefined for a folder's split
  torch::Tensor labels;  ///< int64 [N]
  std::shared_ptr<const FolderImages> folder;  ///< a folder's split: images decoded per batch
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

/// Images [begin, end) as evaluation sees them (a folder's: the centre crop).
torch::Tensor dataset_rows(const Dataset& data, int64_t begin, int64_t end);
/// The training images at `index` (int64 [n]): augmented when `augment` (random crop and flip
/// for tensors; random-resized crop and flip for a folder, seeded by one draw of `rng`).
torch::Tensor training_images(const Dataset& data, const torch::Tensor& index, bool augment,
                              std::mt19937_64& rng);

struct DataSplits {
  std::string name;
  Dataset train, val, test;
  int num_classes = 10, channels = 1, height = 28, width = 28;
  bool augment = false;
  std::vector<std::string> classes;  ///< a folder's classes (label order)
  Normalisation normalisation;       ///< a folder's, as used (given or measured)
};

/// Dataset names accepted by load_data.
std::vector<std::string> known_datasets();
/// Where a dataset is looked for when DataOptions::dir is empty.
std::string default_data_dir(const std::string& name);
/// Loads, subsets, splits and normalises.
DataSplits load_data(const DataOptions& options);

/// IDX image file (magic 0x00000803) as uint8 [N, 1, H, W]; plain or gzip.
torch::Tensor read_idx_images(const std::string& path);
/// IDX label file (magic 0x00000801) as int64 [N]; plain or gzip.
torch::Tensor read_idx_labels(const std::string& path);
/// CIFAR binary batch: uint8 images [N, 3, 32, 32] and int64 labels (fine labels for CIFAR-100).
std::pair<torch::Tensor, torch::Tensor> read_cifar_batch(const std::string& path, bool cifar100);

/// Random crop (zero padding 4) and horizontal flip of a batch [B, C, H, W].
torch::Tensor augment_batch(const torch::Tensor& images, std::mt19937_64& rng);

}  // namespace hybridnet::models
