// Image files for the folder dataset, torch-free: decoding (PNG exact, JPEG within its loss),
// the quick file check, the folder layout, the transforms against hand-worked cases, and the
// prefetching thread. Pixels here are synthetic (patterns and seeded noise): the tests that use
// Fashion-MNIST images are in tests/models/test_image_folder_data.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>

#include "models/error.h"
#include "models/image_decode.h"
#include "models/image_folder.h"
#include "models/image_transforms.h"
#include "models/prefetcher.h"
#include "tests/support.h"
#include "tests/support/image_files.h"

using namespace hybridnet;
using namespace hybridnet::models;
using Approx = Catch::Detail::Approx;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> noise(int w, int h, int c, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> p(size_t(w) * h * c);
  for (auto& v : p) v = static_cast<uint8_t>(rng() & 0xff);
  return p;
}

// A smooth pattern: JPEG keeps it within a few levels.
std::vector<uint8_t> gradient(int w, int h, int c) {
  std::vector<uint8_t> p(size_t(w) * h * c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < c; ++ch) p[(size_t(y) * w + x) * c + ch] = uint8_t(std::min(255, x * 2 + y + ch * 20));
  return p;
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

void truncate_file(const fs::path& p, double keep) {
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(p, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() * keep));
}

}  // namespace

TEST_CASE("images: PNG decodes exactly, JPEG within its loss, by content not name",
          "[images]") {
  test::TempDir dir("images_decode");
  const auto rgb = noise(37, 23, 3, 1), grey = noise(19, 31, 1, 2);
  test::write_png((dir.path / "rgb.png").string(), rgb, 37, 23, 3);
  test::write_png((dir.path / "grey.jpg").string(), grey, 19, 31, 1);  // a PNG named .jpg
  const Image a = read_image((dir.path / "rgb.png").string(), 3);
  CHECK(a.width == 37);
  CHECK(a.height == 23);
  CHECK(a.pixels == rgb);
  const Image b = read_image((dir.path / "grey.jpg").string(), 1);
  CHECK(b.pixels == grey);
  // Grey to RGB: three equal channels.
  const Image b3 = read_image((dir.path / "grey.jpg").string(), 3);
  REQUIRE(b3.channels == 3);
  CHECK(b3.at(5, 7, 0) == grey[5 * 19 + 7]);
  CHECK(b3.at(5, 7, 2) == grey[5 * 19 + 7]);

  const auto smooth = gradient(64, 48, 3);
  test::write_jpeg((dir.path / "smooth.jpeg").string(), smooth, 64, 48, 3, 95);
  const Image c = read_image((dir.path / "smooth.jpeg").string(), 3);
  REQUIRE(c.pixels.size() == smooth.size());
  double diff = 0;
  for (size_t i = 0; i < smooth.size(); ++i) diff += std::abs(int(c.pixels[i]) - int(smooth[i]));
  INFO("mean absolute difference " << diff / smooth.size());
  CHECK(diff / smooth.size() < 2.0);
  CHECK(sniff_image_format(smooth.data(), smooth.size()) == ImageFormat::kUnknown);
}

TEST_CASE("images: the quick check names truncated, empty and non-image files",
          "[images]") {
  test::TempDir dir("images_check");
  // Large enough that 60% of the file ends inside the compressed data, past the headers.
  const auto pixels = noise(200, 150, 3, 4);
  test::write_jpeg((dir.path / "ok.jpg").string(), pixels, 200, 150, 3);
  test::write_png((dir.path / "ok.png").string(), pixels, 200, 150, 3);
  CHECK(check_image_file((dir.path / "ok.jpg").string()).empty());
  CHECK(check_image_file((dir.path / "ok.png").string()).empty());
  fs::copy_file(dir.path / "ok.jpg", dir.path / "cut.jpg");
  truncate_file(dir.path / "cut.jpg", 0.6);
  fs::copy_file(dir.path / "ok.png", dir.path / "cut.png");
  truncate_file(dir.path / "cut.png", 0.6);
  write_text(dir.path / "text.jpg", "this is not an image\n");
  std::ofstream(dir.path / "empty.png").flush();
  CHECK(check_image_file((dir.path / "cut.jpg").string()) ==
        "truncated JPEG (no end-of-image marker)");
  CHECK(check_image_file((dir.path / "cut.png").string()) == "truncated PNG (no IEND chunk)");
  CHECK(check_image_file((dir.path / "text.jpg").string()) == "not a JPEG or PNG image");
  CHECK(check_image_file((dir.path / "empty.png").string()) == "empty file");
  CHECK(check_image_file((dir.path / "missing.png").string()) == "cannot open");
  // A full decode refuses them too, naming the file.
  const std::string cut = (dir.path / "cut.jpg").string();
  CHECK_THROWS_WITH(read_image(cut, 3), Catch::StartsWith(cut + ": corrupt or truncated JPEG"));
  CHECK(check_image_file((dir.path / "ok.jpg").string()).empty());
  CHECK_THROWS_AS(read_image((dir.path / "cut.png").string(), 3), DataError);
  CHECK_THROWS_WITH(read_image((dir.path / "text.jpg").string(), 3),
                    Catch::EndsWith("text.jpg: not a JPEG or PNG image"));
}

TEST_CASE("images: the folder layout, sorted classes and the errors that name a directory",
          "[images]") {
  test::TempDir dir("images_folder");
  const auto px = gradient(8, 8, 1);
  for (const char* c : {"zebra", "ant", "Moth"}) fs::create_directories(dir.path / "train" / c);
  test::write_png((dir.path / "train/zebra/b.png").string(), px, 8, 8, 1);
  test::write_png((dir.path / "train/zebra/a.PNG").string(), px, 8, 8, 1);
  test::write_png((dir.path / "train/ant/x.jpeg").string(), px, 8, 8, 1);
  fs::create_directories(dir.path / "train/ant/nested");
  test::write_png((dir.path / "train/ant/nested/y.jpg").string(), px, 8, 8, 1);
  test::write_png((dir.path / "train/Moth/m.png").string(), px, 8, 8, 1);
  write_text(dir.path / "train/Moth/notes.txt", "skipped: not an image extension");
  const std::string train = (dir.path / "train").string();
  const auto classes = list_classes(train);
  CHECK(classes == std::vector<std::string>{"Moth", "ant", "zebra"});  // byte order, as Python
  const auto list = list_images(train, classes);
  REQUIRE(list.size() == 5);
  CHECK(list.labels == std::vector<int64_t>{0, 1, 1, 2, 2});
  CHECK(fs::path(list.paths[1]).parent_path().filename() == "nested");  // ant/nested/y.jpg
  CHECK(fs::path(list.paths[3]).filename() == "a.PNG");
  CHECK(evaluation_split_dir(dir.path.string()).empty());

  fs::create_directories(dir.path / "train/empty");
  CHECK_THROWS_WITH(list_images(train, list_classes(train)),
                    Catch::Contains("train/empty: empty class"));
  fs::remove(dir.path / "train/empty");
  fs::create_directories(dir.path / "val/wasp");
  test::write_png((dir.path / "val/wasp/w.png").string(), px, 8, 8, 1);
  CHECK(evaluation_split_dir(dir.path.string()) == (dir.path / "val").string());
  CHECK_THROWS_WITH(list_images((dir.path / "val").string(), classes),
                    Catch::Contains("val/wasp: a class the training split does not have"));
  CHECK_THROWS_WITH(list_classes((dir.path / "nowhere").string()),
                    Catch::Contains("nowhere: image folder split not found"));

  BadFiles bad;
  for (int i = 0; i < 5; ++i) bad.add("f" + std::to_string(i) + ".jpg", "truncated JPEG");
  CHECK(bad.message("DIR") ==
        "5 unreadable images in DIR: f0.jpg: truncated JPEG; f1.jpg: truncated JPEG; f2.jpg: "
        "truncated JPEG; ...");
  BadFiles deep;  // paths under the directory are shown relative to it
  deep.add("/a/very/deep/dir/cls/x.jpg", "not a JPEG or PNG image");
  deep.add("/elsewhere/y.png", "truncated PNG");
  CHECK(deep.message("/a/very/deep/dir") ==
        "2 unreadable images in /a/very/deep/dir: cls/x.jpg: not a JPEG or PNG image; "
        "/elsewhere/y.png: truncated PNG");
}

TEST_CASE("images: crop boxes, by hand and by torchvision's rules", "[images]") {
  // Evaluation: 500x375 -> shorter side to round(224 / 0.875) = 256, s = 256/375; the 224
  // crop is 224 / s = 328.125 -> 328 source pixels, centred: x (500-328)/2 = 86, y 23.5 -> 24.
  CHECK(center_crop_box(500, 375, 224, 224) == CropBox{86, 24, 328, 328});
  CHECK(center_crop_box(28, 28, 28, 28) == CropBox{2, 2, 25, 25});  // 28/0.875 = 32: s = 32/28
  // Training: every box inside the image, area 8-100%, aspect 3/4 to 4/3 (up to rounding).
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const auto b = random_resized_crop_box(500, 375, rng);
    REQUIRE(b.x >= 0);
    REQUIRE(b.y >= 0);
    REQUIRE(b.x + b.width <= 500);
    REQUIRE(b.y + b.height <= 375);
    const double area = double(b.width) * b.height / (500.0 * 375.0);
    REQUIRE(area > 0.075);
    REQUIRE(area <= 1.0);
    const double ratio = double(b.width) / b.height;
    REQUIRE(ratio > 0.70);
    REQUIRE(ratio < 1.40);
  }
  std::mt19937_64 a(9), b(9);
  CHECK(random_resized_crop_box(320, 240, a) == random_resized_crop_box(320, 240, b));
  // No try fits a 1000x10 strip (a 3/4..4/3 box of >= 800 pixels is >= 24 high): the fallback
  // cuts the widest allowed ratio, 10 x 4/3 = 13 wide, centred.
  std::mt19937_64 c(1);
  CHECK(random_resized_crop_box(1000, 10, c) == CropBox{493, 0, 13, 10});
}

TEST_CASE("images: resampling, by hand: identity, a 2x reduction, flip and normalisation",
          "[images]") {
  Image img{4, 4, 1, {}};
  for (int i = 0; i < 16; ++i) img.pixels.push_back(static_cast<uint8_t>(i * 10));
  std::vector<float> out(16);
  resample_to(img, {0, 0, 4, 4}, 4, 4, false, {}, out.data());
  for (int i = 0; i < 16; ++i) CHECK(out[i] == Approx(i * 10 / 255.0));
  // 4 -> 2 per axis: output 0's centre is source 1.0 with support 2: taps 0, 1, 2 at
  // 0.75, 0.75, 0.25 (/1.75); output 1's centre 3.0: taps 1, 2, 3 at 0.25, 0.75, 0.75.
  const auto row = [&](int y, int o) {
    const double w0[] = {0.75, 0.75, 0.25, 0}, w1[] = {0, 0.25, 0.75, 0.75};
    double s = 0;
    for (int x = 0; x < 4; ++x) s += (o ? w1 : w0)[x] * img.at(y, x, 0);
    return s / 1.75;
  };
  const auto expect = [&](int oy, int ox) {
    const double w0[] = {0.75, 0.75, 0.25, 0}, w1[] = {0, 0.25, 0.75, 0.75};
    double s = 0;
    for (int y = 0; y < 4; ++y) s += (oy ? w1 : w0)[y] * row(y, ox);
    return s / 1.75 / 255.0;
  };
  std::vector<float> half(4);
  resample_to(img, {0, 0, 4, 4}, 2, 2, false, {}, half.data());
  for (int oy = 0; oy < 2; ++oy)
    for (int ox = 0; ox < 2; ++ox) CHECK(half[oy * 2 + ox] == Approx(expect(oy, ox)));
  std::vector<float> flipped(4);
  resample_to(img, {0, 0, 4, 4}, 2, 2, true, {}, flipped.data());
  CHECK(flipped[0] == Approx(half[1]));
  CHECK(flipped[3] == Approx(half[2]));
  // A crop: the box's own pixels, then (x - mean) / std.
  std::vector<float> crop(4);
  resample_to(img, {1, 2, 2, 2}, 2, 2, false, {{0.5f}, {0.25f}}, crop.data());
  CHECK(crop[0] == Approx((90 / 255.0 - 0.5) / 0.25));
  CHECK(crop[3] == Approx((140 / 255.0 - 0.5) / 0.25));
  CHECK_THROWS_AS(resample_to(img, {2, 2, 3, 3}, 2, 2, false, {}, crop.data()), DataError);
}

TEST_CASE("images: the prefetcher makes items in order, ahead, and passes errors on",
          "[images]") {
  std::atomic<int> made{0};
  {
    Prefetcher<int> p(10, [&](int64_t i) { ++made; return static_cast<int>(i * i); }, 2);
    for (int i = 0; i < 10; ++i) CHECK(p.next() == i * i);
    CHECK_THROWS_AS(p.next(), std::logic_error);
  }
  CHECK(made == 10);
  Prefetcher<int> failing(5, [](int64_t i) -> int {
    if (i == 3) throw DataError("image 3 is bad");
    return static_cast<int>(i);
  }, 2);
  for (int i = 0; i < 3; ++i) CHECK(failing.next() == i);
  CHECK_THROWS_WITH(failing.next(), "image 3 is bad");
  // Destroyed before its items are taken: the thread stops, nothing hangs.
  made = 0;
  { Prefetcher<int> early(1000, [&](int64_t i) { ++made; return static_cast<int>(i); }, 3); }
  CHECK(made <= 4);
}
