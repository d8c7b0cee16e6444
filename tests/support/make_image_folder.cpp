// Writes the first images of Fashion-MNIST (IDX, plain or gzip) as an image folder for the CLI
// tests: OUT/train/<label>_<name>/<i>.png|jpg and OUT/val/..., even indices PNG, odd JPEG, plus a
// truncated JPEG and a text file named .jpg in train/.
// Usage: make_image_folder IDX_DIR OUT TRAIN_COUNT TEST_COUNT
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/image_files.h"

namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> read_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "make_image_folder: cannot open %s\n", path.c_str());
    std::exit(1);
  }
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  gzclose(f);
  return out;
}

void write_split(const std::string& idx, const std::string& images, const std::string& labels,
                 const fs::path& out, int count) {
  static const char* names[] = {"0_tshirt", "1_trouser", "2_pullover", "3_dress", "4_coat",
                                "5_sandal", "6_shirt",   "7_sneaker",  "8_bag",   "9_boot"};
  const auto x = read_gz(idx + "/" + images), y = read_gz(idx + "/" + labels);
  for (int i = 0; i < count; ++i) {
    const fs::path dir = out / names[y.at(8 + i)];
    fs::create_directories(dir);
    const std::vector<uint8_t> px(x.begin() + 16 + i * 784, x.begin() + 16 + (i + 1) * 784);
    if (i % 2 == 0)
      hybridnet::test::write_png((dir / (std::to_string(i) + ".png")).string(), px, 28, 28, 1);
    else
      hybridnet::test::write_jpeg((dir / (std::to_string(i) + ".jpg")).string(), px, 28, 28, 1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: make_image_folder IDX_DIR OUT TRAIN_COUNT TEST_COUNT\n");
    return 2;
  }
  const std::string idx = argv[1];
  const fs::path out = argv[2];
  write_split(idx, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", out / "train",
              std::atoi(argv[3]));
  write_split(idx, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", out / "val",
              std::atoi(argv[4]));
  std::ofstream(out / "train/8_bag/notes.jpg") << "not an image\n";
  const fs::path good = out / "train/3_dress";
  for (const auto& e : fs::directory_iterator(good))
    if (e.path().extension() == ".jpg") {
      fs::copy_file(e.path(), out / "train/3_dress/cut.jpg");
      fs::resize_file(out / "train/3_dress/cut.jpg", fs::file_size(e.path()) / 2);
      break;
    }
  return 0;
}
