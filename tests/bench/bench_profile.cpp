// Time to profile XNOR ResNet-20 (PCA covariances + binarisation errors of every layer) over
// 10,000 Fashion-MNIST images, divided by the time of a plain forward pass over the same images;
// and peak memory. Data loading, measured on its own, is subtracted from both. Target: at most 3.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "analysis/profile.h"
#include "models/activation_capture.h"
#include "models/presets.h"
#include "models/trainer.h"

using namespace hybridnet;
using Clock = std::chrono::steady_clock;

namespace {
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}
}  // namespace

int main(int argc, char** argv) {
  const int64_t samples = argc > 1 ? std::atoll(argv[1]) : 10000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const auto dir = std::filesystem::temp_directory_path() / "hybridnet_bench_profile";
  std::filesystem::remove_all(dir);

  // A briefly trained XNOR ResNet-20, so that activations are not those of a random network.
  models::DataOptions data;
  auto splits = models::load_data([&] {
    auto d = data;
    d.subset = 1024;
    d.test_subset = 256;
    return d;
  }());
  models::TrainConfig train;
  train.max_steps = 4;
  train.optimizer = hybridnet::models::Optimizer::kAdam;
  train.lr = 1e-3;
  train.threads = threads;
  const auto spec =
      models::make_run_spec(models::make_preset("xnor", "resnet20"), data, splits, train);
  models::train_run(spec, splits, dir.string());
  const double rss_start = peak_rss_mib();

  auto t0 = Clock::now();
  {
    auto d = data;
    d.subset = samples;
    models::load_data(d);
  }
  const double load = since(t0);

  models::CaptureOptions capture;
  capture.samples = samples;
  capture.threads = threads;
  t0 = Clock::now();
  models::capture_activations(dir.string(), data, capture, {});  // no observer: plain forward
  const double forward = since(t0) - load;
  const double rss_forward = peak_rss_mib();

  analysis::ProfileOptions po;
  po.capture = capture;
  t0 = Clock::now();
  const auto profile = analysis::profile_run(dir.string(), data, po, models::capture_activations);
  const double profiling = since(t0) - load;
  const double rss_profile = peak_rss_mib();

  std::printf("XNOR ResNet-20, %lld Fashion-MNIST images, %d threads, batch %d\n",
              (long long)samples, threads, capture.batch_size);
  std::printf("data loading (subtracted): %.2f s\n", load);
  std::printf("forward pass:  %.2f s\nprofile:       %.2f s (%zu layers)\n", forward, profiling,
              profile.layers.size());
  std::printf("ratio profile/forward: %.2f (target <= 3)\n", profiling / forward);
  std::printf(
      "peak RSS: %.0f MiB after training setup, %.0f MiB after forward, %.0f MiB after "
      "profile\n",
      rss_start, rss_forward, rss_profile);
  std::filesystem::remove_all(dir);
  return 0;
}
