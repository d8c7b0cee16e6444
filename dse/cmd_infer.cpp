// `hybridnet infer`: runs an exported model.onnx with hybridnet's own runtime (no LibTorch, no
// ONNX Runtime) on a dataset's test images: accuracy, throughput, batch-1 latency, memory.
#include <sys/resource.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dse/subcommands.h"
#include "models/dataset.h"
#include "models/error.h"
#include "models/npy_file.h"
#include "models/runtime_session.h"

namespace hybridnet::dse {

namespace rt = models::runtime;
using Clock = std::chrono::steady_clock;

struct InferOptions {
  std::string model, dataset, data_dir;
  int64_t count = 0;
  int batch = 64;
  int threads = 1;
  int latency_images = 100;
  std::string logits;
  bool reference = false;
  bool synthetic = false;
  std::string kernels = "auto";
  bool json = false;
};

// Images [first, first + n) of `images` (float [N, C, H, W]) as a runtime tensor.
rt::Tensor batch_of(const torch::Tensor& images, int64_t first, int64_t n) {
  const auto b = images.slice(0, first, first + n).contiguous();
  rt::Tensor t;
  t.shape = b.sizes().vec();
  t.f.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
  return t;
}

int64_t argmax(const rt::Tensor& logits, int64_t row) {
  const int64_t classes = logits.shape.at(1);
  const float* r = logits.f.data() + row * classes;
  return std::max_element(r, r + classes) - r;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void run_infer(const InferOptions& o) {
  if (o.batch < 1) throw ConfigError("--batch must be at least 1");
  if (o.threads < 1) throw ConfigError("--threads must be at least 1");
  if (o.synthetic && (!o.dataset.empty() || !o.data_dir.empty() || !o.logits.empty()))
    throw ConfigError("--synthetic takes no --dataset, --data or --logits");
  const auto load_start = Clock::now();
  const rt::KernelSet set = rt::kernel_set_from_name(o.kernels);  // before the slow load
  const rt::Session session(rt::load_graph(o.model), /*binary_kernels=*/!o.reference, set);
  const double load_seconds = seconds_since(load_start);
  const auto& g = session.graph();
  if (std::find(g.outputs.begin(), g.outputs.end(), "logits") == g.outputs.end())
    throw ConfigError(o.model + ": no output called logits (infer runs a whole model.onnx)");

  // The images: a dataset's test images, or random ones of the model's input shape (timing
  // only: the latency objective of sweeps).
  torch::Tensor images, labels;
  std::string dataset;
  if (o.synthetic) {
    std::vector<int64_t> shape{o.count > 0 ? o.count
                                           : std::max<int64_t>(o.latency_images, o.batch)};
    shape.insert(shape.end(), g.input_shape.begin(), g.input_shape.end());
    torch::manual_seed(0);
    images = torch::rand(shape);  // raw pixels in [0, 1], as the model expects
    dataset = "synthetic";
  } else {
    models::DataOptions data;
    data.name = !o.dataset.empty()            ? o.dataset
                : g.metadata.count("dataset") ? g.metadata.at("dataset")
                                              : "fashion-mnist";
    data.dir = o.data_dir;
    data.normalize = false;  // the model normalises raw [0, 1] pixels itself
    data.test_subset = o.count;
    data.subset = 1;  // the training images are not used
    if (data.name == "folder" && g.input_shape.size() == 3) {
      // The crop and classes the network was trained with, from the export's metadata.
      data.channels = static_cast<int>(g.input_shape[0]);
      data.input = {static_cast<int>(g.input_shape[1]), static_cast<int>(g.input_shape[2])};
      if (g.metadata.count("classes")) {
        try {
          data.classes = nlohmann::json::parse(g.metadata.at("classes")).get<std::vector<std::string>>();
        } catch (const nlohmann::json::exception&) {
          throw DataError(o.model + ": metadata 'classes' is not a list of names");
        }
      }
    }
    const auto splits = models::load_data(data);
    images = models::dataset_rows(splits.test, 0, splits.test.size());
    labels = splits.test.labels.contiguous();
    dataset = data.name;
  }
  const int64_t n = images.size(0);

  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, o.threads);
  // Throughput: batches spread over the threads.
  std::vector<int64_t> predictions(static_cast<size_t>(n));
  std::vector<rt::Tensor> batch_logits(static_cast<size_t>((n + o.batch - 1) / o.batch));
  const int64_t batches = (n + o.batch - 1) / o.batch;
  const auto start = Clock::now();
  tbb::parallel_for(int64_t{0}, batches, [&](int64_t b) {
    const int64_t first = b * o.batch, count = std::min<int64_t>(o.batch, n - first);
    const auto out = session.run(batch_of(images, first, count));
    const auto& logits = out.at("logits");
    for (int64_t i = 0; i < count; ++i) predictions[first + i] = argmax(logits, i);
    if (!o.logits.empty()) batch_logits[b] = logits;
  });
  if (!o.logits.empty() && n > 0) {
    std::vector<float> all;
    for (const auto& t : batch_logits) all.insert(all.end(), t.f.begin(), t.f.end());
    models::write_npy(o.logits, {n, batch_logits[0].shape.at(1)}, all);
  }
  const double seconds = seconds_since(start);
  int64_t correct = 0;
  if (!o.synthetic)
    for (int64_t i = 0; i < n; ++i) correct += predictions[i] == labels.data_ptr<int64_t>()[i];

  // Latency at batch 1, one image after another.
  std::vector<double> latency;
  for (int64_t i = 0; i < std::min<int64_t>(o.latency_images, n); ++i) {
    const auto t0 = Clock::now();
    session.run(batch_of(images, i, 1));
    latency.push_back(seconds_since(t0) * 1e3);
  }
  std::sort(latency.begin(), latency.end());
  auto percentile = [&](double p) {
    return latency.empty() ? 0.0
                           : latency[std::min(latency.size() - 1, size_t(p * latency.size()))];
  };
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double accuracy = n ? double(correct) / n : 0;
  const nlohmann::json result = {
      {"model", o.model},
      {"dataset", dataset},
      {"images", n},
      {"accuracy", o.synthetic ? nlohmann::json(nullptr) : nlohmann::json(accuracy)},
      {"images_per_second", seconds > 0 ? n / seconds : 0},
      {"batch", o.batch},
      {"threads", o.threads},
      {"latency_ms",
       {{"p50", percentile(0.5)}, {"p90", percentile(0.9)}, {"p99", percentile(0.99)}}},
      {"load_seconds", load_seconds},
      {"model_bytes_in_memory", session.constant_bytes()},
      {"peak_resident_bytes", int64_t(usage.ru_maxrss) * 1024},
      {"kernels", session.kernels()}};
  if (o.json) {
    std::cout << result.dump(2) << "\n";
    return;
  }
  const std::string scored =
      o.synthetic ? "" : ": accuracy " + std::to_string(accuracy).substr(0, 6);
  std::printf(
      "%s on %lld %s test images%s, %.1f images/s (batch %d, %d thread(s)); "
      "batch-1 latency p50 %.2f ms, p90 %.2f ms; weights %.1f KiB in memory, peak RSS "
      "%.1f MiB; kernels: %s\n",
      o.model.c_str(), (long long)n, dataset.c_str(), scored.c_str(),
      seconds > 0 ? n / seconds : 0.0, o.batch, o.threads, percentile(0.5), percentile(0.9),
      session.constant_bytes() / 1024.0, usage.ru_maxrss / 1024.0, session.kernels().c_str());
}

void setup_infer(CLI::App& app) {
  auto opt = std::make_shared<InferOptions>();
  auto* sub = app.add_subcommand(
      "infer",
      "Run an exported model.onnx with hybridnet's own runtime (no LibTorch) on a dataset's test "
      "images: accuracy, images/s, batch-1 latency, memory");
  sub->add_option("--model", opt->model, "model.onnx written by `hybridnet export`")->required();
  sub->add_option("--dataset", opt->dataset,
                  "Dataset (default: the one the model's metadata names)");
  sub->add_option("--data", opt->data_dir, "Directory of the dataset files");
  sub->add_option("--count", opt->count, "Use the first N test images (0 = all)")
      ->capture_default_str();
  sub->add_option("--batch", opt->batch, "Images per run")->capture_default_str();
  sub->add_option("--threads", opt->threads,
                  "Threads (batches, and each layer's pixel blocks, in parallel)")
      ->capture_default_str();
  sub->add_option("--latency-images", opt->latency_images,
                  "Images timed one at a time for the latency percentiles")
      ->capture_default_str();
  sub->add_option("--logits", opt->logits,
                  "Also write every image's logits to this .npy file (float32 [images, classes], "
                  "as `hybridnet evaluate --logits`)");
  sub->add_flag("--json", opt->json,
                "Print {\"accuracy\", \"images_per_second\", \"latency_ms\": {\"p50\", \"p90\", "
                "\"p99\"}, \"model_bytes_in_memory\", \"peak_resident_bytes\", \"kernels\", ...}");
  sub->add_flag("--synthetic", opt->synthetic,
                "Time random images of the model's input shape instead of a dataset's (no "
                "accuracy; --count of them, default max(--latency-images, --batch))");
  sub->add_flag("--reference", opt->reference,
                "Run every layer with the float kernels (binary and k-bit convolutions too)");
  sub->add_option("--kernels", opt->kernels,
                  "Popcount kernels of the binary and k-bit convolutions: auto (the best this "
                  "CPU runs), avx512 (VPOPCNTDQ), avx2 (nibble lookup), popcnt, scalar "
                  "(portable), reference (plain +-1 sums)")
      ->capture_default_str();
  sub->footer(
      "Binary convolutions (sign inputs, +-alpha weights) run as XNOR + popcount on bit-packed "
      "receptive fields, k-bit ones as bit-serial popcounts, with the best kernel set of this "
      "CPU; every other layer with float kernels (OpenBLAS).");
  sub->callback([opt] { run_infer(*opt); });
}

}  // namespace hybridnet::dse
