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

}  // namespace hybridnet::models
