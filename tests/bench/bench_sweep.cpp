// Aggregate training throughput of a sweep (trained images per second, summed over trials) of
// four small candidates on Fashion-MNIST, three ways in one run:
//   (a) --jobs 2 as `hybridnet sweep` runs it (two 1-thread trials at once; a core left idle
//       at the end goes to the last trial),
//   (b) --jobs 1 giving its trial both cores (2 intra-op threads),
//   (c) the physical limit: 2 x the rate of one 1-thread trial running alone (the same four
//       trials one after another with 1 thread).
// Prints a/b (target >= 1.0: trial-level parallelism never loses to intra-op threads) and a/c
// (target >= 0.9: no oversubscription), with each run's user and system CPU time. Each run's
// time excludes loading the dataset (the same for every run, measured once and subtracted).
// Run (a) first with glibc's default malloc settings, then again after
// keep_freed_tensor_memory() as the program does: their ratio is that tuning's effect.
// Usage: bench_sweep [train_images=6000] [epochs=1]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "db/store.h"
#include "models/allocator_tuning.h"
#include "models/dataset.h"
#include "search/space.h"
#include "search/sweep.h"

namespace fs = std::filesystem;
using namespace hybridnet;

namespace {

struct Measure {
  double images = 0, seconds = 0, user = 0, sys = 0;
  double rate() const { return images / seconds; }
};

double cpu_seconds(const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; }

nlohmann::json space_json(const std::string& name, int64_t images, int epochs) {
  return {
      {"study", name},
      {"arch", "resnet8"},
      {"data", {{"name", "fashion-mnist"}, {"subset", images}, {"test_subset", 500}}},
      {"train", {{"epochs", epochs}, {"optimizer", "adam"}, {"lr", 0.002}, {"batch_size", 128}}},
      {"families", {{"fp", nlohmann::json::object()}, {"xnor", nlohmann::json::object()},
                    {"quantized-k", {{"k", 2}}}, {"hybrid-res-a", nlohmann::json::object()}}}};
}

double g_load_seconds = 0;  // loading the dataset, subtracted from every run

Measure run(const fs::path& dir, const char* name, int jobs, int threads, int64_t images,
            int epochs) {
  const nlohmann::json raw = space_json(name, images, epochs);
  const auto space = search::parse_space(raw, std::string("bench space ") + name);
  const std::string db_path = (dir / (std::string(name) + ".sqlite")).string();
  auto store = db::open_sqlite_store(db_path, db::OpenMode::kReadWrite);
  search::SweepOptions o;
  o.jobs = jobs;
  o.threads = threads;
  rusage r0{}, r1{};
  getrusage(RUSAGE_SELF, &r0);
  const auto t0 = std::chrono::steady_clock::now();
  const auto summary = search::run_sweep(space, *store, o);
  Measure m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() -
              g_load_seconds;
  getrusage(RUSAGE_SELF, &r1);
  m.user = cpu_seconds(r1.ru_utime) - cpu_seconds(r0.ru_utime);
  m.sys = cpu_seconds(r1.ru_stime) - cpu_seconds(r0.ru_stime);
  if (summary.done != 4) {
    std::fprintf(stderr, "bench_sweep: run %s finished %d of 4 trials\n", name, summary.done);
    std::exit(1);
  }
  m.images = 4.0 * images * epochs;
  std::printf("%-40s %6.1f s  %7.1f images/s  (user %.0f s, sys %.0f s)\n",
              (std::string(name) + ": jobs " + std::to_string(jobs) + " x threads " +
               (threads > 0 ? std::to_string(threads) : "auto")).c_str(),
              m.seconds, m.rate(), m.user, m.sys);
  std::fflush(stdout);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t images = argc > 1 ? std::atoll(argv[1]) : 6000;
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 1;
  const fs::path dir = fs::temp_directory_path() / ("bench_sweep." + std::to_string(getpid()));
  fs::create_directories(dir);
  std::printf("4 candidates (fp, xnor, quantized-k k=2, hybrid-res-a), resnet8, %lld Fashion-MNIST "
              "images x %d epoch(s) each\n",
              (long long)images, epochs);
  try {
    const auto space = search::parse_space(space_json("load", images, epochs), "bench space");
    models::load_data(space.data);  // warms the page cache
    const auto t0 = std::chrono::steady_clock::now();
    models::load_data(space.data);
    g_load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("loading the data: %.2f s (subtracted from each run)\n", g_load_seconds);
    const Measure untuned = run(dir, "a-jobs2-default-malloc", 2, 0, images, epochs);
    models::keep_freed_tensor_memory();
    const Measure a = run(dir, "a-jobs2", 2, 0, images, epochs);
    const Measure b = run(dir, "b-jobs1-threads2", 1, 2, images, epochs);
    const Measure single = run(dir, "c-alone-threads1", 1, 1, images, epochs);
    const double c = 2 * single.rate();
    std::printf("(c) physical limit 2 x %.1f = %.1f images/s\n", single.rate(), c);
    std::printf("malloc tuning: a / a-default-malloc = %.2f\n", a.rate() / untuned.rate());
    std::printf("a/b = %.2f (target >= 1.0)\na/c = %.2f (target >= 0.9)\n", a.rate() / b.rate(),
                a.rate() / c);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_sweep: %s\n", e.what());
    fs::remove_all(dir);
    return 1;
  }
  fs::remove_all(dir);
  return 0;
}
