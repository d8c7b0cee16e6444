#include "models/data_options.h"

#include <cmath>

#include "models/error.h"

namespace hybridnet::models {

namespace {

void check_int(const char* field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    throw ConfigError(std::string("data.") + field + " must be in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "], not " + std::to_string(v));
}

}  // namespace

void validate(const DataOptions& o) {
  constexpr int64_t kMaxImages = int64_t{1} << 31;
  check_int("subset", o.subset, 0, kMaxImages);
  check_int("test_subset", o.test_subset, 0, kMaxImages);
  if (!(o.val_fraction >= 0 && o.val_fraction < 1))
    throw ConfigError("data.val_fraction must be in [0, 1), not " + std::to_string(o.val_fraction));
  check_int("augment", o.augment, -1, 1);
  if (o.name != "synthetic") return;
  // Synthetic images are generated in memory: bounded so that a typo cannot ask for 400 GB.
  check_int("synthetic_train", o.synthetic_train, 1, 1000000);
  check_int("synthetic_test", o.synthetic_test, 1, 1000000);
  check_int("synthetic_classes", o.synthetic_classes, 2, 1000);
  check_int("synthetic_channels", o.synthetic_channels, 1, 16);
  check_int("synthetic_size", o.synthetic_size, 4, 512);
  const double floats = double(o.synthetic_train + o.synthetic_test) * o.synthetic_channels *
                        o.synthetic_size * o.synthetic_size;
  if (floats > 2e9)
    throw ConfigError("data: synthetic images of " + std::to_string(o.synthetic_train) + " + " +
                      std::to_string(o.synthetic_test) + " x " +
                      std::to_string(o.synthetic_channels) + "x" +
                      std::to_string(o.synthetic_size) + "x" + std::to_string(o.synthetic_size) +
                      " would need more than 8 GB; at most 2e9 pixel values");
}

DataShape data_shape(const DataOptions& o) {
  validate(o);
  if (o.name == "fashion-mnist" || o.name == "mnist") return {1, 28, 28, 10};
  if (o.name == "cifar10") return {3, 32, 32, 10};
  if (o.name == "cifar100") return {3, 32, 32, 100};
  if (o.name == "synthetic")
    return {o.synthetic_channels, o.synthetic_size, o.synthetic_size, o.synthetic_classes};
  throw ConfigError("unknown dataset '" + o.name +
                    "' (fashion-mnist, mnist, cifar10, cifar100, synthetic)");
}

Normalisation normalisation(const DataOptions& o) {
  if (!o.normalize) return {};
  if (o.name == "fashion-mnist") return {{0.2860f}, {0.3530f}};
  if (o.name == "mnist") return {{0.1307f}, {0.3081f}};
  if (o.name == "cifar10") return {{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
  if (o.name == "cifar100") return {{0.5071f, 0.4865f, 0.4409f}, {0.2673f, 0.2564f, 0.2762f}};
  return {};
}

std::vector<std::string> class_names(const DataOptions& o) {
  if (o.name == "fashion-mnist")
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  if (o.name == "cifar10")
    return {"airplane", "automobile", "bird", "cat", "deer",
            "dog",      "frog",       "horse", "ship", "truck"};
  std::vector<std::string> names;
  for (int c = 0; c < data_shape(o).num_classes; ++c) names.push_back(std::to_string(c));
  return names;
}

}  // namespace hybridnet::models
