// Dataset readers. IDX and CIFAR files are read whole (zlib reads plain files too) and checked
// for magic numbers and exact sizes before any tensor is built.
#include "models/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <tuple>

#include "models/error.h"
#include "models/image_decode.h"

namespace hybridnet::models {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string how_to_get(const std::string& name) {
  if (name == "fashion-mnist")
    return "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or "
           "pass --data DIR with the four IDX files";
  if (name == "mnist")
    return "put the four MNIST IDX files (plain or .gz) there or pass --data DIR";
  if (name == "cifar10")
    return "put CIFAR-10's binary version (data_batch_1..5.bin, test_batch.bin) there or pass "
           "--data DIR";
  return "put CIFAR-100's binary version (train.bin, test.bin) there or pass --data DIR";
}

// A plain or gzip file read in pieces (zlib reads plain files too), so that a header is checked
// before a body is read: a small gzip that expands to gigabytes is refused by its header.
class FileReader {
 public:
  explicit FileReader(const std::string& path) : path_(path), f_(gzopen(path.c_str(), "rb")) {
    if (!f_) throw DataError(path + ": cannot open");
  }
  ~FileReader() { gzclose(f_); }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  /// Reads up to `size` bytes into `out`; returns how many (fewer only at the end).
  size_t read(uint8_t* out, size_t size) {
    size_t got = 0;
    while (got < size) {
      const unsigned want = static_cast<unsigned>(std::min<size_t>(size - got, 1u << 30));
      const int n = gzread(f_, out + got, want);
      if (n < 0) fail();
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    if (got < size) check_clean_end();
    return got;
  }

  /// True when nothing is left to read.
  bool at_end() {
    uint8_t byte = 0;
    return read(&byte, 1) == 0;
  }

 private:
  void check_clean_end() {
    int err = 0;
    gzerror(f_, &err);
    if (err != Z_OK && err != Z_STREAM_END) fail();
  }
  [[noreturn]] void fail() {
    int err = 0;
    const char* msg = gzerror(f_, &err);
    throw DataError(path_ + ": corrupt or truncated gzip data (" + (msg ? msg : "") + ")");
  }

  std::string path_;
  gzFile f_;
};

// A whole file of at most `max_bytes` (after decompression).
std::vector<uint8_t> read_file(const std::string& path, size_t max_bytes) {
  FileReader in(path);
  std::vector<uint8_t> data;
  std::vector<uint8_t> chunk(1 << 20);
  for (;;) {
    const size_t n = in.read(chunk.data(), chunk.size());
    if (data.size() + n > max_bytes)
      throw DataError(path + ": larger than " + std::to_string(max_bytes >> 20) +
                      " MiB (decompressed); not a dataset file this reader knows");
    data.insert(data.end(), chunk.begin(), chunk.begin() + n);
    if (n < chunk.size()) return data;
  }
}

// Limits that say what they are: the largest image side, the largest IDX file body, and a CIFAR
// batch (the real ones are 30 MB and 150 MB).
constexpr int64_t kMaxImageSide = 4096;
constexpr size_t kMaxDatasetBytes = size_t(8) << 30;
constexpr size_t kMaxCifarBatchBytes = size_t(512) << 20;

uint32_t be32(const std::vector<uint8_t>& d, size_t at) {
  return (uint32_t(d[at]) << 24) | (uint32_t(d[at + 1]) << 16) | (uint32_t(d[at + 2]) << 8) |
         uint32_t(d[at + 3]);
}

// "dir/name" or "dir/name.gz", whichever exists.
std::string find_file(const std::string& dir, const std::string& name, const std::string& dataset) {
  for (const std::string& candidate : {name, name + ".gz"}) {
    const fs::path p = fs::path(dir) / candidate;
    if (fs::exists(p)) return p.string();
  }
  throw DataError((fs::path(dir) / name).string() + "[.gz]: missing " + dataset + " file; " +
                  how_to_get(dataset));
}

torch::Tensor to_float(const torch::Tensor& u8, const DataOptions& o) {
  torch::Tensor x = u8.to(torch::kFloat32).div_(255.0);
  const Normalisation n = normalisation(o);
  if (!n.empty()) {
    const auto c = x.size(1);
    auto mean = torch::tensor(n.mean, torch::kFloat32).view({1, c, 1, 1});
    auto sd = torch::tensor(n.std, torch::kFloat32).view({1, c, 1, 1});
    x = (x - mean) / sd;
  }
  return x;
}

// Reads an IDX file's header (`header_bytes`, big-endian 32-bit fields) and checks its magic
// number.
std::vector<uint8_t> read_idx_header(FileReader& in, size_t header_bytes, uint32_t magic,
                                     const std::string& path, const char* what) {
  std::vector<uint8_t> d(header_bytes);
  const size_t got = in.read(d.data(), header_bytes);
  if (got < header_bytes)
    throw DataError(path + ": truncated IDX header (" + std::to_string(got) + " bytes)");
  if (be32(d, 0) != magic) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "(magic 0x%08x, expected 0x%08x)", be32(d, 0), magic);
    throw DataError(path + ": not an IDX " + what + " file " + buf);
  }
  return d;
}

// Reads the `bytes` of an IDX body into `out`, then checks that nothing follows.
void read_idx_body(FileReader& in, uint8_t* out, size_t bytes, size_t header_bytes,
                   const std::string& announced, const std::string& path) {
  const size_t got = in.read(out, bytes);
  if (got < bytes)
    throw DataError(path + ": truncated: header says " + announced + " (" +
                    std::to_string(header_bytes + bytes) + " bytes), file has " +
                    std::to_string(header_bytes + got));
  if (!in.at_end())
    throw DataError(path + ": trailing data after the " + announced + " its header says");
}

torch::Tensor first(const torch::Tensor& t, int64_t n) {
  return (n > 0 && n < t.size(0)) ? t.slice(0, 0, n) : t;
}

void check_labels(const torch::Tensor& labels, int classes, const std::string& path) {
  if (labels.numel() > 0 &&
      (labels.max().item<int64_t>() >= classes || labels.min().item<int64_t>() < 0))
    throw DataError(path + ": label out of range [0, " + std::to_string(classes) + ")");
}

}  // namespace

torch::Tensor read_idx_images(const std::string& path) {
  FileReader in(path);
  const auto d = read_idx_header(in, 16, 0x00000803, path, "image");
  const int64_t n = be32(d, 4), h = be32(d, 8), w = be32(d, 12);
  if (h < 1 || w < 1 || h > kMaxImageSide || w > kMaxImageSide)
    throw DataError(path + ": header says images of " + std::to_string(h) + "x" +
                    std::to_string(w) + "; sides must be 1 to " + std::to_string(kMaxImageSide));
  if (double(n) * h * w > double(kMaxDatasetBytes))
    throw DataError(path + ": header says " + std::to_string(n) + " images of " +
                    std::to_string(h) + "x" + std::to_string(w) + ", more than " +
                    std::to_string(kMaxDatasetBytes >> 30) + " GiB");
  auto t = torch::empty({n, 1, h, w}, torch::kUInt8);
  read_idx_body(in, t.data_ptr<uint8_t>(), size_t(n) * h * w, 16,
                std::to_string(n) + " images of " + std::to_string(h) + "x" + std::to_string(w),
                path);
  return t;
}

torch::Tensor read_idx_labels(const std::string& path) {
  FileReader in(path);
  const auto d = read_idx_header(in, 8, 0x00000801, path, "label");
  const int64_t n = be32(d, 4);
  auto t = torch::empty({n}, torch::kUInt8);
  read_idx_body(in, t.data_ptr<uint8_t>(), size_t(n), 8, std::to_string(n) + " labels", path);
  return t.to(torch::kInt64);
}

std::pair<torch::Tensor, torch::Tensor> read_cifar_batch(const std::string& path, bool cifar100) {
  const auto d = read_file(path, kMaxCifarBatchBytes);
  const size_t label_bytes = cifar100 ? 2 : 1, record = label_bytes + 3072;
  if (d.empty() || d.size() % record != 0)
    throw DataError(path + ": not a CIFAR-" + (cifar100 ? "100" : "10") + " binary batch (" +
                    std::to_string(d.size()) + " bytes is not a multiple of " +
                    std::to_string(record) + "-byte records)");
  const int64_t n = d.size() / record;
  auto images = torch::empty({n, 3, 32, 32}, torch::kUInt8);
  auto labels = torch::empty({n}, torch::kInt64);
  auto* img = images.data_ptr<uint8_t>();
  auto* lab = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    lab[i] = d[i * record + label_bytes - 1];  // CIFAR-100: [coarse, fine]
    std::memcpy(img + i * 3072, d.data() + i * record + label_bytes, 3072);
  }
  check_labels(labels, cifar100 ? 100 : 10, path);
  return {images, labels};
}

std::vector<std::string> known_datasets() {
  return {"fashion-mnist", "mnist", "cifar10", "cifar100", "folder", "synthetic"};
}

std::string default_data_dir(const std::string& name) {
  if (name == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  return "data/" + name;
}

namespace {

ImageList folder_part(const ImageList& list, size_t begin, size_t end) {
  ImageList out;
  out.paths.assign(list.paths.begin() + begin, list.paths.begin() + end);
  out.labels.assign(list.labels.begin() + begin, list.labels.begin() + end);
  return out;
}

// Checks every file of a split (header and end, not a full decode): bad ones are skipped with
// one warning naming the first few, or an error when strict.
ImageList checked_split(const ImageList& list, const std::string& where, bool strict) {
  BadFiles bad;
  ImageList ok = checked_images(list, bad);
  if (bad.count > 0) {
    if (strict) throw DataError(bad.message(where) + " (data.strict)");
    std::fprintf(stderr, "warning: %s; skipped\n", bad.message(where).c_str());
  }
  if (ok.size() == 0) throw DataError(where + ": no readable image");
  return ok;
}

// Per-channel mean and standard deviation of up to 1000 training images as evaluation crops
// them, in [0, 1]: what a folder is normalised with when data.mean / data.std are not given.
Normalisation measure_normalisation(const ImageList& train, const DataOptions& o, int h, int w) {
  const int64_t n = std::min<int64_t>(1000, static_cast<int64_t>(train.size()));
  FolderImages sample(folder_part(train, 0, static_cast<size_t>(n)), o.channels, h, w, {}, o.strict);
  Normalisation out;
  for (int64_t b = 0; b < n; b += 100) {
    const auto x = sample.rows(b, std::min(n, b + 100)).to(torch::kFloat64);
    if (out.mean.empty()) {
      out.mean.assign(o.channels, 0.0f);
      out.std.assign(o.channels, 0.0f);
    }
    const auto sum = x.sum({0, 2, 3}), sq = (x * x).sum({0, 2, 3});
    for (int c = 0; c < o.channels; ++c) {
      out.mean[c] += static_cast<float>(sum[c].item<double>());
      out.std[c] += static_cast<float>(sq[c].item<double>());
    }
  }
  const double count = static_cast<double>(n) * h * w;
  for (int c = 0; c < o.channels; ++c) {
    const double mean = out.mean[c] / count;
    const double var = std::max(0.0, out.std[c] / count - mean * mean);
    out.mean[c] = static_cast<float>(mean);
    out.std[c] = static_cast<float>(std::max(1e-3, std::sqrt(var)));
  }
  return out;
}

DataSplits load_folder(const DataOptions& o) {
  namespace fs = std::filesystem;
  DataSplits s;
  s.name = o.name;
  const std::string train_dir = (fs::path(o.dir) / "train").string();
  if (!fs::is_directory(o.dir))
    throw DataError(o.dir + ": image folder not found (expected DIR/train/<class>/*.jpg)");
  s.classes = o.classes.empty() ? list_classes(train_dir) : o.classes;
  ImageList train = checked_split(list_images(train_dir, s.classes), train_dir, o.strict);
  // A fixed shuffle (not the run's seed: the splits must not depend on it), so that subsets
  // and held-out fractions take every class rather than the first ones by name.
  std::vector<size_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 shuffle_rng(20240229);
  for (size_t i = order.size(); i > 1; --i)  // Fisher-Yates: the same order on every stdlib
    std::swap(order[i - 1], order[std::uniform_int_distribution<size_t>(0, i - 1)(shuffle_rng)]);
  ImageList shuffled;
  for (size_t i : order) {
    shuffled.paths.push_back(train.paths[i]);
    shuffled.labels.push_back(train.labels[i]);
  }
  train = std::move(shuffled);
  ImageList test;
  const std::string eval_dir = evaluation_split_dir(o.dir);
  if (!eval_dir.empty()) {
    test = checked_split(list_images(eval_dir, s.classes), eval_dir, o.strict);
  } else {
    const size_t n_test = static_cast<size_t>(train.size() * o.test_fraction);
    if (n_test < 1 || n_test >= train.size())
      throw DataError(o.dir + ": no val/ directory and too few images to hold out a test split");
    test = folder_part(train, train.size() - n_test, train.size());
    train = folder_part(train, 0, train.size() - n_test);
  }
  const auto take = [](const ImageList& l, int64_t n) {
    return n > 0 && n < static_cast<int64_t>(l.size()) ? folder_part(l, 0, static_cast<size_t>(n))
                                                      : l;
  };
  train = take(train, o.subset);
  test = take(test, o.test_subset);
  s.channels = o.channels;
  std::tie(s.height, s.width) = folder_input(o);
  s.num_classes = static_cast<int>(s.classes.size());
  if (o.normalize)
    s.normalisation = o.mean.empty() ? measure_normalisation(train, o, s.height, s.width)
                                     : Normalisation{o.mean, o.std};
  const ChannelNorm norm{s.normalisation.mean, s.normalisation.std};
  const auto labels = [](const ImageList& l) {
    return torch::tensor(l.labels, torch::kInt64);
  };
  const int64_t n_val = static_cast<int64_t>(train.size() * o.val_fraction);
  const size_t n_train = train.size() - static_cast<size_t>(n_val);
  if (n_train < 1) throw DataError(o.dir + ": no training images left after the validation split");
  const auto split = [&](ImageList l) {
    Dataset d;
    d.labels = labels(l);
    d.folder = std::make_shared<FolderImages>(std::move(l), o.channels, s.height, s.width, norm,
                                              o.strict);
    return d;
  };
  s.train = split(folder_part(train, 0, n_train));
  if (n_val > 0) s.val = split(folder_part(train, n_train, train.size()));
  s.test = split(test);
  s.augment = o.augment != 0;
  return s;
}

}  // namespace

torch::Tensor dataset_rows(const Dataset& data, int64_t begin, int64_t end) {
  if (data.folder) return data.folder->rows(begin, end);
  return data.images.slice(0, begin, end);
}

torch::Tensor training_images(const Dataset& data, const torch::Tensor& index, bool augment,
                              std::mt19937_64& rng) {
  if (data.folder) {
    const auto idx = index.contiguous();
    if (!augment) return data.folder->centre_crops(idx.data_ptr<int64_t>(), idx.size(0));
    return data.folder->augmented(idx.data_ptr<int64_t>(), idx.size(0), rng());
  }
  auto x = data.images.index_select(0, index);
  return augment ? augment_batch(x, rng) : x;
}

DataSplits load_data(const DataOptions& o) {
  validate(o);
  if (o.name == "folder") return load_folder(o);
  DataSplits s;
  s.name = o.name;
  const std::string dir = o.dir.empty() ? default_data_dir(o.name) : o.dir;
  torch::Tensor train_x, train_y, test_x, test_y;  // uint8 images for real datasets
  if (o.name == "fashion-mnist" || o.name == "mnist") {
    if (!fs::is_directory(dir))
      throw DataError(dir + ": " + o.name + " directory not found; " + how_to_get(o.name));
    const auto tx = find_file(dir, "train-images-idx3-ubyte", o.name);
    const auto ty = find_file(dir, "train-labels-idx1-ubyte", o.name);
    const auto vx = find_file(dir, "t10k-images-idx3-ubyte", o.name);
    const auto vy = find_file(dir, "t10k-labels-idx1-ubyte", o.name);
    train_x = read_idx_images(tx);
    train_y = read_idx_labels(ty);
    test_x = read_idx_images(vx);
    test_y = read_idx_labels(vy);
    if (train_x.size(0) != train_y.size(0))
      throw DataError(ty + ": " + std::to_string(train_y.size(0)) + " labels for " +
                      std::to_string(train_x.size(0)) + " images in " + tx);
    if (test_x.size(0) != test_y.size(0))
      throw DataError(vy + ": " + std::to_string(test_y.size(0)) + " labels for " +
                      std::to_string(test_x.size(0)) + " images in " + vx);
    check_labels(train_y, 10, ty);
    check_labels(test_y, 10, vy);
    s.num_classes = 10;
  } else if (o.name == "cifar10" || o.name == "cifar100") {
    const bool c100 = o.name == "cifar100";
    std::string root = dir;
    const std::string sub = c100 ? "cifar-100-binary" : "cifar-10-batches-bin";
    if (fs::is_directory(fs::path(dir) / sub)) root = (fs::path(dir) / sub).string();
    if (!fs::is_directory(root))
      throw DataError(dir + ": " + o.name + " directory not found; " + how_to_get(o.name));
    std::vector<std::string> train_files =
        c100 ? std::vector<std::string>{"train.bin"}
             : std::vector<std::string>{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                        "data_batch_4.bin", "data_batch_5.bin"};
    std::vector<torch::Tensor> xs, ys;
    for (const auto& f : train_files) {
      auto [x, y] = read_cifar_batch(find_file(root, f, o.name), c100);
      xs.push_back(x);
      ys.push_back(y);
    }
    train_x = torch::cat(xs);
    train_y = torch::cat(ys);
    std::tie(test_x, test_y) =
        read_cifar_batch(find_file(root, c100 ? "test.bin" : "test_batch.bin", o.name), c100);
    s.num_classes = c100 ? 100 : 10;
  } else if (o.name == "synthetic") {
    // Class prototypes + noise: learnable in a few steps, for fast tests only.
    auto gen = at::detail::createCPUGenerator(o.synthetic_seed);
    const int64_t c = o.synthetic_channels, hw = o.synthetic_size, k = o.synthetic_classes;
    if (k < 2 || c < 1 || hw < 4 || o.synthetic_train < 1 || o.synthetic_test < 1)
      throw DataError("synthetic: classes >= 2, channels >= 1, size >= 4 and counts >= 1 required");
    const auto protos = torch::randn({k, c, hw, hw}, gen);
    auto make = [&](int64_t n) {
      auto y = torch::arange(n, torch::kInt64).remainder(k);
      auto x = protos.index_select(0, y) + 0.8 * torch::randn({n, c, hw, hw}, gen);
      return std::make_pair(x, y);
    };
    std::tie(train_x, train_y) = make(o.synthetic_train);
    std::tie(test_x, test_y) = make(o.synthetic_test);
    s.num_classes = static_cast<int>(k);
  } else {
    std::string names;
    for (const auto& n : known_datasets()) names += (names.empty() ? "" : ", ") + n;
    throw DataError("unknown dataset '" + o.name + "' (known: " + names + ")");
  }

  if (o.subset < 0 || o.test_subset < 0) throw DataError("subset sizes must be >= 0");
  if (!(o.val_fraction >= 0.0 && o.val_fraction < 1.0))
    throw DataError("validation fraction " + std::to_string(o.val_fraction) + " must be in [0, 1)");
  train_x = first(train_x, o.subset);
  train_y = first(train_y, o.subset);
  test_x = first(test_x, o.test_subset);
  test_y = first(test_y, o.test_subset);
  auto as_float = [&](const torch::Tensor& x) {
    return x.scalar_type() == torch::kUInt8 ? to_float(x, o) : x.contiguous();
  };
  const int64_t n_val = static_cast<int64_t>(train_x.size(0) * o.val_fraction);
  const int64_t n_train = train_x.size(0) - n_val;
  if (n_train < 1) throw DataError(o.name + ": no training images left after the validation split");
  s.train = {as_float(train_x.slice(0, 0, n_train)), train_y.slice(0, 0, n_train).contiguous()};
  if (n_val > 0)
    s.val = {as_float(train_x.slice(0, n_train)), train_y.slice(0, n_train).contiguous()};
  s.test = {as_float(test_x), test_y.contiguous()};
  s.channels = static_cast<int>(s.train.images.size(1));
  s.height = static_cast<int>(s.train.images.size(2));
  s.width = static_cast<int>(s.train.images.size(3));
  s.augment = o.augment < 0 ? (o.name == "cifar10" || o.name == "cifar100") : o.augment == 1;
  return s;
}

torch::Tensor augment_batch(const torch::Tensor& images, std::mt19937_64& rng) {
  constexpr int64_t kPad = 4;
  const int64_t h = images.size(2), w = images.size(3);
  const auto padded = torch::constant_pad_nd(images, {kPad, kPad, kPad, kPad}, 0.0);
  std::uniform_int_distribution<int64_t> shift(0, 2 * kPad);
  std::bernoulli_distribution flip(0.5);
  std::vector<torch::Tensor> out;
  out.reserve(images.size(0));
  for (int64_t i = 0; i < images.size(0); ++i) {
    const int64_t dy = shift(rng), dx = shift(rng);
    auto crop = padded[i].slice(1, dy, dy + h).slice(2, dx, dx + w);
    out.push_back(flip(rng) ? crop.flip({2}) : crop);
  }
  return torch::stack(out);
}

}  // namespace hybridnet::models
