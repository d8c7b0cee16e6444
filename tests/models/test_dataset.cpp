// Dataset readers on small fixture files written by the test (plain, gzip, truncated, wrong
// magic), and on the real Fashion-MNIST installed by Debian's dataset-fashion-mnist.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "models/dataset.h"
#include "models/error.h"
#include "tests/support.h"

using namespace hybridnet::models;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> be(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}

std::vector<uint8_t> idx_images(uint32_t magic, uint32_t n, uint32_t h, uint32_t w, size_t pixels) {
  std::vector<uint8_t> d;
  for (uint32_t v : {magic, n, h, w}) {
    auto b = be(v);
    d.insert(d.end(), b.begin(), b.end());
  }
  for (size_t i = 0; i < pixels; ++i) d.push_back(uint8_t(i * 7));
  return d;
}

void write(const fs::path& p, const std::vector<uint8_t>& d, bool gz = false) {
  if (gz) {
    gzFile f = gzopen(p.c_str(), "wb");
    gzwrite(f, d.data(), static_cast<unsigned>(d.size()));
    gzclose(f);
  } else {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(d.data()), d.size());
  }
}

}  // namespace

TEST_CASE("IDX images and labels read from plain and gzip files", "[models][data]") {
  const auto dir = hybridnet::test::fresh_temp_dir("idx");
  write(dir / "img", idx_images(0x803, 2, 3, 4, 24));
  write(dir / "img.gz", idx_images(0x803, 2, 3, 4, 24), true);
  auto labels = be(0x801);
  auto n = be(2);
  labels.insert(labels.end(), n.begin(), n.end());
  labels.push_back(7);
  labels.push_back(3);
  write(dir / "lab.gz", labels, true);
  for (const char* f : {"img", "img.gz"}) {
    auto t = read_idx_images((dir / f).string());
    CHECK(t.sizes() == torch::IntArrayRef({2, 1, 3, 4}));
    CHECK(t[1][0][0][0].item<int>() == uint8_t(12 * 7));
  }
  auto l = read_idx_labels((dir / "lab.gz").string());
  CHECK(l[0].item<int64_t>() == 7);
  CHECK(l[1].item<int64_t>() == 3);
}

TEST_CASE("truncated and wrong-magic IDX files are DataErrors naming the file", "[models][data]") {
  const auto dir = hybridnet::test::fresh_temp_dir("idxbad");
  write(dir / "short", idx_images(0x803, 2, 3, 4, 20));
  write(dir / "magic", idx_images(0x804, 2, 3, 4, 24));
  write(dir / "header", {0, 0, 8});
  write(dir / "garbage.gz", {0x1f, 0x8b, 8, 0, 1, 2, 3});
  CHECK_THROWS_WITH(read_idx_images((dir / "short").string()),
                    Catch::Contains((dir / "short").string() + ": truncated"));
  CHECK_THROWS_WITH(read_idx_images((dir / "magic").string()),
                    Catch::Contains("not an IDX image file (magic 0x00000804"));
  CHECK_THROWS_WITH(read_idx_labels((dir / "header").string()),
                    Catch::Contains("truncated IDX header"));
  CHECK_THROWS_AS(read_idx_images((dir / "garbage.gz").string()), hybridnet::DataError);
  CHECK_THROWS_WITH(read_idx_images((dir / "none").string()), Catch::Contains("cannot open"));
}

TEST_CASE("IDX headers are checked before bodies are read: a gzip bomb is refused at once",
          "[models][data]") {
  const auto dir = hybridnet::test::fresh_temp_dir("idxbomb");
  // 256 MiB of zeros behind a header that announces 2 images of 3x4: compressed about 250 KB.
  auto bomb = idx_images(0x803, 2, 3, 4, 24);
  bomb.resize(bomb.size() + (size_t(256) << 20), 0);
  write(dir / "trailing.gz", bomb, true);
  bomb.clear();
  bomb.shrink_to_fit();
  CHECK(fs::file_size(dir / "trailing.gz") < (size_t(1) << 20));
  CHECK_THROWS_WITH(read_idx_images((dir / "trailing.gz").string()),
                    Catch::Contains("trailing.gz: trailing data after the 2 images of 3x4"));
  // Headers that announce more than any dataset: refused before anything is allocated.
  write(dir / "huge.gz", idx_images(0x803, 0x7fffffff, 28, 28, 0), true);
  CHECK_THROWS_WITH(read_idx_images((dir / "huge.gz").string()),
                    Catch::Contains("2147483647 images of 28x28, more than 8 GiB"));
  write(dir / "wide", idx_images(0x803, 1, 1, 100000, 0));
  CHECK_THROWS_WITH(read_idx_images((dir / "wide").string()),
                    Catch::Contains("images of 1x100000; sides must be 1 to 4096"));
}

TEST_CASE("CIFAR-10 and CIFAR-100 binary batches", "[models][data]") {
  const auto dir = hybridnet::test::fresh_temp_dir("cifar");
  std::vector<uint8_t> c10, c100;
  for (int i = 0; i < 3; ++i) {
    c10.push_back(uint8_t(i + 4));
    c100.push_back(uint8_t(i));       // coarse
    c100.push_back(uint8_t(90 + i));  // fine
    for (int p = 0; p < 3072; ++p) {
      c10.push_back(uint8_t(p + i));
      c100.push_back(uint8_t(p + i));
    }
  }
  write(dir / "b10.bin", c10);
  write(dir / "b100.bin", c100);
  auto [x10, y10] = read_cifar_batch((dir / "b10.bin").string(), false);
  CHECK(x10.sizes() == torch::IntArrayRef({3, 3, 32, 32}));
  CHECK(y10[2].item<int64_t>() == 6);
  CHECK(x10[1][0][0][1].item<int>() == 2);
  auto [x100, y100] = read_cifar_batch((dir / "b100.bin").string(), true);
  CHECK(y100[1].item<int64_t>() == 91);
  c10.pop_back();
  write(dir / "bad.bin", c10);
  CHECK_THROWS_WITH(read_cifar_batch((dir / "bad.bin").string(), false),
                    Catch::Contains("not a CIFAR-10 binary batch"));
}

TEST_CASE("real Fashion-MNIST loads with subsets, a validation split and normalisation",
          "[models][data]") {
  DataOptions o;
  o.subset = 1000;
  o.test_subset = 500;
  o.val_fraction = 0.2;
  auto d = load_data(o);
  CHECK(d.train.images.sizes() == torch::IntArrayRef({800, 1, 28, 28}));
  CHECK(d.val.size() == 200);
  CHECK(d.test.size() == 500);
  CHECK(d.num_classes == 10);
  CHECK_FALSE(d.augment);
  CHECK(d.train.labels.max().item<int64_t>() == 9);
  CHECK(std::abs(d.train.images.mean().item<double>()) < 0.1);
  CHECK(d.train.images.std().item<double>() == Catch::Detail::Approx(1.0).margin(0.1));
}

TEST_CASE("a missing dataset says where it was looked for and how to get it", "[models][data]") {
  DataOptions o;
  o.dir = "/nonexistent/fmnist";
  CHECK_THROWS_WITH(load_data(o), Catch::Contains("/nonexistent/fmnist") &&
                                      Catch::Contains("dataset-fashion-mnist"));
  const auto dir = hybridnet::test::fresh_temp_dir("partial");
  write(dir / "train-images-idx3-ubyte", idx_images(0x803, 1, 2, 2, 4));
  o.dir = dir.string();
  CHECK_THROWS_WITH(load_data(o), Catch::Contains("train-labels-idx1-ubyte[.gz]: missing"));
  o.name = "cifar10";
  o.dir = "/nonexistent/c10";
  CHECK_THROWS_WITH(load_data(o), Catch::Contains("data_batch_1..5.bin"));
  o.name = "imagenet";
  CHECK_THROWS_WITH(load_data(o), Catch::Contains("unknown dataset 'imagenet'"));
}

TEST_CASE("synthetic data (for fast tests) is deterministic", "[models][data]") {
  DataOptions o;
  o.name = "synthetic";
  o.synthetic_train = 64;
  o.synthetic_test = 32;
  auto a = load_data(o), b = load_data(o);
  CHECK(a.train.images.equal(b.train.images));
  CHECK(a.test.labels.equal(b.test.labels));
  CHECK(a.train.images.sizes() == torch::IntArrayRef({64, 1, 28, 28}));
}

TEST_CASE("augmentation keeps the shape and is reproducible with a seed", "[models][data]") {
  auto x = torch::arange(2 * 3 * 8 * 8, torch::kFloat32).view({2, 3, 8, 8});
  std::mt19937_64 r1(5), r2(5);
  auto a = augment_batch(x, r1), b = augment_batch(x, r2);
  CHECK(a.sizes() == x.sizes());
  CHECK(a.equal(b));
}
