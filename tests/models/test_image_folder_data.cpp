// The folder dataset on an image folder written by the test from real Fashion-MNIST images
// (PNG and JPEG, one directory per class, plus a truncated JPEG, a text file named .jpg and,
// in one case, an empty class): labels, pixels, bad files, determinism, and a ResNet-8 trained
// on it whose evaluation from the run directory reproduces its test accuracy.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "models/dataset.h"
#include "models/error.h"
#include "models/image_decode.h"
#include "models/presets.h"
#include "models/trainer.h"
#include "tests/support.h"
#include "tests/support/image_files.h"

using namespace hybridnet;
using namespace hybridnet::models;
namespace fs = std::filesystem;

namespace {

const std::string kFashion = "/usr/share/datasets/fashion-mnist";
const std::vector<std::string> kClassDirs = {"0_tshirt", "1_trouser", "2_pullover", "3_dress",
                                             "4_coat",   "5_sandal",  "6_shirt",    "7_sneaker",
                                             "8_bag",    "9_boot"};

struct FashionFolder {
  torch::Tensor train_x, train_y, test_x, test_y;  // the IDX images the folder was written from
};

std::vector<uint8_t> pixels_of(const torch::Tensor& images, int64_t i) {
  const auto img = images[i].contiguous();
  return std::vector<uint8_t>(img.data_ptr<uint8_t>(), img.data_ptr<uint8_t>() + 28 * 28);
}

// DIR/train/<class>/<i>.png|jpg (even i PNG, odd i JPEG) for the first n_train training images,
// DIR/val/... for the first n_test test images, plus two bad files in train/.
FashionFolder write_fashion_folder(const fs::path& root, int64_t n_train, int64_t n_test) {
  FashionFolder f;
  f.train_x = read_idx_images(kFashion + "/train-images-idx3-ubyte.gz");
  f.train_y = read_idx_labels(kFashion + "/train-labels-idx1-ubyte.gz");
  f.test_x = read_idx_images(kFashion + "/t10k-images-idx3-ubyte.gz");
  f.test_y = read_idx_labels(kFashion + "/t10k-labels-idx1-ubyte.gz");
  const auto write_split = [&](const std::string& split, const torch::Tensor& x,
                               const torch::Tensor& y, int64_t n) {
    for (const auto& c : kClassDirs) fs::create_directories(root / split / c);
    for (int64_t i = 0; i < n; ++i) {
      const auto dir = root / split / kClassDirs[y[i].item<int64_t>()];
      const auto px = pixels_of(x, i);
      if (i % 2 == 0)
        test::write_png((dir / (std::to_string(i) + ".png")).string(), px, 28, 28, 1);
      else
        test::write_jpeg((dir / (std::to_string(i) + ".jpg")).string(), px, 28, 28, 1, 95);
    }
  };
  write_split("train", f.train_x, f.train_y, n_train);
  write_split("val", f.test_x, f.test_y, n_test);
  // A truncated JPEG and a text file named .jpg.
  const auto cut = root / "train/3_dress/cut.jpg";
  test::write_jpeg(cut.string(), pixels_of(f.train_x, 0), 28, 28, 1);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  std::ofstream(root / "train/8_bag/readme.jpg") << "not an image\n";
  return f;
}

int64_t index_of(const std::string& path) { return std::stoll(fs::path(path).stem().string()); }

DataOptions folder_options(const fs::path& root) {
  DataOptions o;
  o.name = "folder";
  o.dir = root.string();
  o.input = {28, 28};
  o.channels = 1;
  return o;
}

// Adam at lr 0.005 on one thread (reproducible), `epochs` of batches of `batch`.
TrainConfig adam_training(int epochs, int batch) {
  TrainConfig t;
  t.epochs = epochs;
  t.batch_size = batch;
  t.optimizer = Optimizer::kAdam;
  t.lr = 0.005;
  t.threads = 1;
  return t;
}

}  // namespace

TEST_CASE("folder dataset: labels, pixels and bad files of a Fashion-MNIST image folder",
          "[data][folder]") {
  test::TempDir dir("folder_fashion");
  const auto f = write_fashion_folder(dir.path, 400, 100);
  auto o = folder_options(dir.path);
  o.normalize = false;
  const auto s = load_data(o);
  CHECK(s.classes == kClassDirs);
  CHECK(s.num_classes == 10);
  CHECK(s.channels == 1);
  CHECK(s.height == 28);
  // The two bad files are skipped: every good image is there once, with its IDX label.
  REQUIRE(s.train.size() == 400);
  REQUIRE(s.test.size() == 100);
  std::map<int64_t, int64_t> seen;
  const auto& train = s.train.folder->list();
  for (size_t k = 0; k < train.size(); ++k) {
    const int64_t i = index_of(train.paths[k]);
    ++seen[i];
    CHECK(train.labels[k] == f.train_y[i].item<int64_t>());
    CHECK(s.train.labels[k].item<int64_t>() == train.labels[k]);
  }
  CHECK(seen.size() == 400);
  // Shuffled once (fixed): the first 40 images hold several classes, not the first by name.
  std::set<int64_t> first_classes(train.labels.begin(), train.labels.begin() + 40);
  CHECK(first_classes.size() >= 5);
  for (size_t k = 0; k < s.test.folder->list().size(); ++k) {
    const auto& p = s.test.folder->list().paths[k];
    CHECK(s.test.folder->list().labels[k] == f.test_y[index_of(p)].item<int64_t>());
  }
  // Pixels: PNG exactly the IDX bytes, JPEG (quality 95) within a few levels on average.
  double jpeg_diff = 0;
  int jpegs = 0;
  for (int k = 0; k < 40; ++k) {
    const auto& p = train.paths[k];
    const auto img = read_image(p, 1);
    const auto idx = pixels_of(f.train_x, index_of(p));
    if (fs::path(p).extension() == ".png") {
      CHECK(img.pixels == idx);
    } else {
      for (size_t i = 0; i < idx.size(); ++i) jpeg_diff += std::abs(img.pixels[i] - idx[i]);
      ++jpegs;
    }
  }
  REQUIRE(jpegs > 0);
  INFO("JPEG mean absolute difference " << jpeg_diff / (jpegs * 784.0));
  CHECK(jpeg_diff / (jpegs * 784.0) < 3.0);
  // Strict: the bad files are an error naming them.
  o.strict = true;
  CHECK_THROWS_WITH(load_data(o), Catch::Contains("2 unreadable images") &&
                                      Catch::Contains("cut.jpg: truncated JPEG") &&
                                      Catch::Contains("readme.jpg: not a JPEG or PNG image"));
  // An empty class is an error naming it; so is a missing folder.
  fs::create_directories(dir.path / "train/99_empty");
  o.strict = false;
  CHECK_THROWS_WITH(load_data(o), Catch::Contains("99_empty: empty class"));
  o.dir = (dir.path / "missing").string();
  CHECK_THROWS_WITH(load_data(o), Catch::Contains("missing: image folder not found"));
}

TEST_CASE("folder dataset: crops are the same for the same seed, evaluation is fixed",
          "[data][folder]") {
  test::TempDir dir("folder_determinism");
  write_fashion_folder(dir.path, 60, 20);
  const auto s = load_data(folder_options(dir.path));
  // Normalisation measured on the training images (Fashion-MNIST's is about 0.29 / 0.35).
  REQUIRE(s.normalisation.mean.size() == 1);
  CHECK(s.normalisation.mean[0] > 0.2);
  CHECK(s.normalisation.mean[0] < 0.4);
  const auto idx = torch::arange(0, 16, torch::kInt64);
  std::mt19937_64 a(7), b(7), c(8);
  const auto xa = training_images(s.train, idx, true, a);
  CHECK(xa.sizes() == std::vector<int64_t>{16, 1, 28, 28});
  CHECK(torch::equal(xa, training_images(s.train, idx, true, b)));
  CHECK_FALSE(torch::equal(xa, training_images(s.train, idx, true, c)));
  CHECK(torch::equal(dataset_rows(s.test, 0, 20), dataset_rows(s.test, 0, 20)));
  // Without augmentation a training batch is the evaluation crop of the same images.
  std::mt19937_64 d(1);
  CHECK(torch::equal(training_images(s.train, idx, false, d), dataset_rows(s.train, 0, 16)));
}

TEST_CASE("folder dataset: a ResNet-8 trains on it and its evaluation reproduces the accuracy",
          "[data][folder][train]") {
  test::TempDir dir("folder_train");
  write_fashion_folder(dir.path / "images", 1500, 300);
  const auto o = folder_options(dir.path / "images");
  const auto data = load_data(o);
  const TrainConfig t = adam_training(3, 64);
  const auto spec = make_run_spec(make_preset("fp", "resnet8"), o, data, t);
  CHECK(spec.data.classes == kClassDirs);
  REQUIRE(spec.data.mean.size() == 1);
  const auto run_dir = (dir.path / "run").string();
  const auto result = train_run(spec, data, run_dir);
  INFO("test accuracy " << result.test.top1);
  CHECK(result.test.samples == 300);
  CHECK(result.test.top1 > 0.4);  // chance is 0.1
  // The run directory alone (its stored classes and normalisation) reproduces it.
  auto run = load_run(run_dir);
  CHECK(run.spec.data.classes == kClassDirs);
  const auto again = load_data(run.spec.data);
  const auto ev = evaluate(run.net, again.test, 100, torch::kCPU);
  CHECK(ev.top1 == result.test.top1);
  CHECK(ev.samples == 300);
}

TEST_CASE("folder dataset: a run stopped after an epoch and resumed equals one run straight",
          "[data][folder][train]") {
  test::TempDir dir("folder_resume");
  write_fashion_folder(dir.path / "images", 600, 100);
  auto o = folder_options(dir.path / "images");
  o.val_fraction = 0.2;
  const auto data = load_data(o);
  const TrainConfig t = adam_training(2, 50);
  const auto spec = make_run_spec(make_preset("xnor", "resnet8"), o, data, t);
  const auto straight = train_run(spec, data, (dir.path / "straight").string());
  const auto first = train_run(spec, data, (dir.path / "resumed").string(), {}, 1);
  CHECK_FALSE(first.complete);
  const auto resumed = train_run(spec, data, (dir.path / "resumed").string());
  CHECK(resumed.resumed_from_epoch == 1);
  REQUIRE(resumed.history.size() == 2);
  // The same crops in the same order: the second epoch's loss and accuracies are identical.
  CHECK(resumed.history[1].train_loss == straight.history[1].train_loss);
  CHECK(resumed.history[1].val_accuracy == straight.history[1].val_accuracy);
  CHECK(resumed.test.top1 == straight.test.top1);
}
