// The folder dataset's loader against torchvision's on the same files and transforms: photo-
// sized JPEGs (500x375, generated here) decoded, random-resized-cropped to 224, flipped and
// normalised, on 2 cores (ours: TBB's threads over a batch; torchvision: ImageFolder +
// DataLoader(num_workers=2), Debian's python3-torchvision). Then a ResNet-18 training step at 224
// with the batch made beforehand and with the loader prefetching the next batch on its own
// thread, to show whether the loader's time hides behind the step. Prints images/s and ratios
// measured in this run. Target: ours >= 1.5x torchvision.
// Usage: bench_image_loader [IMAGES=512] [BATCH=64] [STEP_BATCH=16] [STEPS=4]
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <tbb/parallel_for.h>

#include "models/folder_images.h"
#include "models/image_decode.h"
#include "models/image_folder.h"
#include "models/network.h"
#include "models/prefetcher.h"
#include "models/presets.h"
#include "tests/support/image_files.h"

using namespace hybridnet::models;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A photo-like image: a few soft colour blobs over a gradient, plus sensor-like noise, so
// that JPEG sizes are those of photographs (tens of KB), not of flat test patterns.
std::vector<uint8_t> photo(int w, int h, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 6);
  struct Blob { double x, y, r, c[3]; };
  std::vector<Blob> blobs(6);
  for (auto& b : blobs) b = {u(rng) * w, u(rng) * h, 30 + u(rng) * 150, {u(rng) * 255, u(rng) * 255, u(rng) * 255}};
  std::vector<uint8_t> p(size_t(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        double v = 60 + 80.0 * x / w + 40.0 * y / h;
        for (const auto& b : blobs) {
          const double d2 = ((x - b.x) * (x - b.x) + (y - b.y) * (y - b.y)) / (b.r * b.r);
          v += (b.c[c] - v) * std::exp(-d2);
        }
        v += noise(rng) + 20 * std::sin(x * 0.3 + c) * std::cos(y * 0.2);
        p[(size_t(y) * w + x) * 3 + c] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
      }
  return p;
}

const char* kTorchvision = R"(
import sys, time, torch, torchvision
from torchvision import transforms as T
root, batch = sys.argv[1], int(sys.argv[2])
tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(),
                T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
ds = torchvision.datasets.ImageFolder(root, transform=tf)
dl = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=2)
best = 0
for epoch in range(2):  # the first pass includes the workers' start; report the better
    t0, n = time.perf_counter(), 0
    for x, y in dl:
        n += x.shape[0]
    best = max(best, n / (time.perf_counter() - t0))
print(best)
)";

}  // namespace

int main(int argc, char** argv) {
  const int images = argc > 1 ? std::atoi(argv[1]) : 512;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 64;
  const int step_batch = argc > 3 ? std::atoi(argv[3]) : 16;
  const int steps = argc > 4 ? std::atoi(argv[4]) : 4;
  const fs::path root = fs::temp_directory_path() / ("bench_image_loader_" + std::to_string(getpid()));
  fs::remove_all(root);
  std::mt19937_64 rng(1);
  ImageList list;
  uintmax_t bytes = 0;
  const char* classes[] = {"a", "b", "c", "d"};
  for (int i = 0; i < images; ++i) {
    const fs::path dir = root / "train" / classes[i % 4];
    fs::create_directories(dir);
    const fs::path file = dir / (std::to_string(i) + ".jpg");
    hybridnet::test::write_jpeg(file.string(), photo(500, 375, rng), 500, 375, 3, 90);
    bytes += fs::file_size(file);
  }
  list = list_images((root / "train").string(), list_classes((root / "train").string()));
  std::printf("%d JPEGs of 500x375 (%.0f KB on average), RandomResizedCrop(224) + flip + "
              "normalise, batch %d, 2 cores\n", images, bytes / 1024.0 / images, batch);
  const ChannelNorm norm{{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
  FolderImages folder(list, 3, 224, 224, norm, false);

  // Ours: two passes in a shuffled order, the better one.
  std::vector<int64_t> order(images);
  std::iota(order.begin(), order.end(), 0);
  double ours = 0;
  for (int pass = 0; pass < 2; ++pass) {
    std::shuffle(order.begin(), order.end(), rng);
    const auto t0 = Clock::now();
    for (int b = 0; b < images; b += batch)
      folder.augmented(order.data() + b, std::min(batch, images - b), rng());
    ours = std::max(ours, images / seconds_since(t0));
  }
  // Where the time goes: decoding alone, whole images, same threads.
  {
    const auto t0 = Clock::now();
    tbb::parallel_for(0, images, [&](int i) { read_image(list.paths[i], 3); });
    std::printf("decode alone:       %8.1f images/s\n", images / seconds_since(t0));
  }
  // torchvision, on the same files.
  const fs::path script = root / "torchvision_loader.py";
  std::ofstream(script) << kTorchvision;
  const std::string cmd = "/usr/bin/python3 " + script.string() + " " + (root / "train").string() +
                          " " + std::to_string(batch) + " 2>/dev/null";
  double theirs = 0;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    if (std::fscanf(p, "%lf", &theirs) != 1) theirs = 0;
    pclose(p);
  }
  std::printf("hybridnet loader:   %8.1f images/s\n", ours);
  if (theirs > 0)
    std::printf("torchvision loader: %8.1f images/s\nratio: %.2fx (target >= 1.5)\n", theirs,
                ours / theirs);
  else
    std::printf("torchvision loader: not measured (python3-torchvision missing?)\n");

  // A ResNet-18 step at 224 without and with the loader feeding it.
  torch::set_num_threads(2);
  auto net = build_network(make_preset("fp", "resnet18"), 3, 224, 224, 4);
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  const auto y = torch::randint(0, 4, {step_batch}, torch::kInt64);
  const auto step = [&](const torch::Tensor& x) {
    opt.zero_grad();
    torch::nn::functional::cross_entropy(net->forward(x), y).backward();
    opt.step();
  };
  const auto fixed = folder.augmented(order.data(), step_batch, 1);
  step(fixed);  // warm-up
  auto t0 = Clock::now();
  for (int s = 0; s < steps; ++s) step(fixed);
  const double bare = seconds_since(t0) / steps;
  {
    Prefetcher<torch::Tensor> loader(
        steps + 1,
        [&](int64_t s) {
          return folder.augmented(order.data() + (s * step_batch) % (images - step_batch),
                                  step_batch, 100 + s);
        },
        2);
    step(loader.next());  // the first batch is not hidden by anything
    t0 = Clock::now();
    for (int s = 0; s < steps; ++s) step(loader.next());
  }
  const double fed = seconds_since(t0) / steps;
  std::printf("ResNet-18 224x224 FP training step, batch %d, 2 threads: %.3f s with the batch "
              "ready, %.3f s fed by the loader (%.2fx; the loader alone needs %.3f s a batch)\n",
              step_batch, bare, fed, fed / bare, step_batch / ours);
  fs::remove_all(root);
  return 0;
}
