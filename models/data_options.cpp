#include "models/data_options.h"

#include "models/error.h"

namespace hybridnet::models {

DataShape data_shape(const DataOptions& o) {
  if (o.name == "fashion-mnist" || o.name == "mnist") return {1, 28, 28, 10};
  if (o.name == "cifar10") return {3, 32, 32, 10};
  if (o.name == "cifar100") return {3, 32, 32, 100};
  if (o.name == "synthetic")
    return {o.synthetic_channels, o.synthetic_size, o.synthetic_size, o.synthetic_classes};
  throw ConfigError("unknown dataset '" + o.name +
                    "' (fashion-mnist, mnist, cifar10, cifar100, synthetic)");
}

}  // namespace hybridnet::models
