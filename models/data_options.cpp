#include "models/data_options.h"

#include <cmath>
#include <filesystem>

#include "models/error.h"
#include "models/image_folder.h"

namespace hybridnet::models {

namespace {

void check_int(const char* field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    throw ConfigError(std::string("data.") + field + " must be in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "], not " + std::to_string(v));
}

template <class T>
void read_if(const nlohmann::json& j, const char* key, T& field) {
  if (!j.contains(key)) return;
  try {
    j.at(key).get_to(field);
  } catch (const nlohmann::json::exception&) {  // a list of the wrong kind: ["a", "b"] as input
    throw ConfigError(std::string(key) + ": " + j.at(key).dump() + " is not " +
                      nlohmann::json(T{}).type_name() + " of the expected kind");
  }
}

}  // namespace

std::pair<int, int> folder_input(const DataOptions& o) {
  if (o.input.empty()) return {224, 224};
  return {o.input.at(0), o.input.at(1)};
}

void to_json(nlohmann::json& j, const DataOptions& o) {
  j = {{"name", o.name},
       {"dir", o.dir},
       {"subset", o.subset},
       {"test_subset", o.test_subset},
       {"val_fraction", o.val_fraction},
       {"normalize", o.normalize},
       {"augment", o.augment},
       {"synthetic_train", o.synthetic_train},
       {"synthetic_test", o.synthetic_test},
       {"synthetic_classes", o.synthetic_classes},
       {"synthetic_channels", o.synthetic_channels},
       {"synthetic_size", o.synthetic_size},
       {"synthetic_seed", o.synthetic_seed}};
  if (o.name != "folder") return;
  j["input"] = o.input;
  j["channels"] = o.channels;
  j["mean"] = o.mean;
  j["std"] = o.std;
  j["classes"] = o.classes;
  j["test_fraction"] = o.test_fraction;
  j["strict"] = o.strict;
}

void from_json(const nlohmann::json& j, DataOptions& o) {
  const DataOptions d;
  o = d;
  read_if(j, "name", o.name);
  read_if(j, "dir", o.dir);
  read_if(j, "subset", o.subset);
  read_if(j, "test_subset", o.test_subset);
  read_if(j, "val_fraction", o.val_fraction);
  read_if(j, "normalize", o.normalize);
  read_if(j, "augment", o.augment);
  read_if(j, "synthetic_train", o.synthetic_train);
  read_if(j, "synthetic_test", o.synthetic_test);
  read_if(j, "synthetic_classes", o.synthetic_classes);
  read_if(j, "synthetic_channels", o.synthetic_channels);
  read_if(j, "synthetic_size", o.synthetic_size);
  read_if(j, "synthetic_seed", o.synthetic_seed);
  read_if(j, "input", o.input);
  read_if(j, "channels", o.channels);
  read_if(j, "mean", o.mean);
  read_if(j, "std", o.std);
  read_if(j, "classes", o.classes);
  read_if(j, "test_fraction", o.test_fraction);
  read_if(j, "strict", o.strict);
}

nlohmann::json data_option_keys() {
  DataOptions d;
  d.name = "folder";
  nlohmann::json j = d;
  j["name"] = DataOptions{}.name;
  // Kinds for strict reading: a list of integers, of numbers, of strings.
  j["input"] = {224, 224};
  j["mean"] = {0.5};
  j["std"] = {0.5};
  j["classes"] = {"a"};
  return j;
}

void validate(const DataOptions& o) {
  constexpr int64_t kMaxImages = int64_t{1} << 31;
  check_int("subset", o.subset, 0, kMaxImages);
  check_int("test_subset", o.test_subset, 0, kMaxImages);
  if (!(o.val_fraction >= 0 && o.val_fraction < 1))
    throw ConfigError("data.val_fraction must be in [0, 1), not " + std::to_string(o.val_fraction));
  check_int("augment", o.augment, -1, 1);
  if (o.name == "folder") {
    if (o.dir.empty())
      throw ConfigError("data.dir: the folder dataset needs its directory (--data DIR)");
    if (!o.input.empty()) {
      if (o.input.size() != 2)
        throw ConfigError("data.input must be [height, width], not " + std::to_string(o.input.size()) +
                          " numbers");
      check_int("input[0]", o.input[0], 8, 4096);
      check_int("input[1]", o.input[1], 8, 4096);
    }
    if (o.channels != 1 && o.channels != 3)
      throw ConfigError("data.channels must be 1 or 3, not " + std::to_string(o.channels));
    if (o.mean.size() != o.std.size() ||
        (!o.mean.empty() && static_cast<int>(o.mean.size()) != o.channels))
      throw ConfigError("data.mean and data.std need one value per channel (" +
                        std::to_string(o.channels) + ")");
    for (float v : o.std)
      if (!(v > 0)) throw ConfigError("data.std values must be > 0");
    if (!(o.test_fraction > 0 && o.test_fraction < 1))
      throw ConfigError("data.test_fraction must be in (0, 1), not " +
                        std::to_string(o.test_fraction));
    return;
  }
  if (!o.input.empty() || o.channels != 3 || !o.mean.empty() || !o.std.empty())
    throw ConfigError("data.input, channels, mean and std apply to the folder dataset only");
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
  if (o.name == "folder") {
    const auto [h, w] = folder_input(o);
    return {o.channels, h, w, static_cast<int>(class_names(o).size())};
  }
  throw ConfigError("unknown dataset '" + o.name +
                    "' (fashion-mnist, mnist, cifar10, cifar100, folder, synthetic)");
}

Normalisation normalisation(const DataOptions& o) {
  if (!o.normalize) return {};
  if (o.name == "fashion-mnist") return {{0.2860f}, {0.3530f}};
  if (o.name == "mnist") return {{0.1307f}, {0.3081f}};
  if (o.name == "cifar10") return {{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
  if (o.name == "cifar100") return {{0.5071f, 0.4865f, 0.4409f}, {0.2673f, 0.2564f, 0.2762f}};
  if (o.name == "folder") return {o.mean, o.std};  // measured into the run's options when empty
  return {};
}

std::vector<std::string> class_names(const DataOptions& o) {
  if (o.name == "fashion-mnist")
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  if (o.name == "cifar10")
    return {"airplane", "automobile", "bird", "cat", "deer",
            "dog",      "frog",       "horse", "ship", "truck"};
  if (o.name == "folder") {
    if (!o.classes.empty()) return o.classes;
    return list_classes((std::filesystem::path(o.dir) / "train").string());
  }
  std::vector<std::string> names;
  for (int c = 0; c < data_shape(o).num_classes; ++c) names.push_back(std::to_string(c));
  return names;
}

}  // namespace hybridnet::models
