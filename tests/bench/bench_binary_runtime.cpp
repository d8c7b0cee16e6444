// The binary runtime (models/runtime_*) against FP32 convolutions, ratios measured in one run,
// one thread everywhere:
//   1. per layer: a 3x3 binary convolution of ResNet-18's shapes (batch 1) with each kernel set
//      this CPU runs, against our float kernel, LibTorch's conv2d and ONNX Runtime's Conv;
//      1b. the avx2 kernels against FP32 held to AVX2 as an AVX2-only CPU would run it (LibTorch
//      with oneDNN capped at AVX2, and the AVX2 FMA ceiling at this core's clock), beside ONNX
//      Runtime's FLOP per cycle (it picks AVX-512 by cpuid and cannot be capped);
//   2. whole networks: XNOR ResNet-18 at 224x224x3 (untrained weights) and XNOR / hybrid
//      ResNet-20 at 32x32x3, exported to ONNX, run by our runtime (binary and float kernels),
//      ONNX Runtime and LibTorch at batch 1 and 32, with the time our runtime spends in float
//      layers, and the loaded model's bytes against the cost model's memory.
// ONNX Runtime runs in node (tests/onnx/bench_ort.js, `npm ci` in tests/onnx first); without it
// those columns say so.
//   bench_binary_runtime [--layers-only | --networks-only] [--quick]
#include <malloc.h>
#include <onnx/onnx_pb.h>
#include <tbb/global_control.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "models/cost_model.h"
#include "models/energy_table.h"
#include "models/network.h"
#include "models/network_weights_extract.h"
#include "models/onnx_writer.h"
#include "models/presets.h"
#include "models/runtime_binary.h"
#include "models/runtime_ops.h"
#include "models/runtime_session.h"
#include "models/runtime_sgemm.h"

namespace fs = std::filesystem;
namespace rt = hybridnet::models::runtime;
using namespace hybridnet::models;
using Clock = std::chrono::steady_clock;

namespace {

// Median milliseconds of `fn` over at least 3 runs and about `seconds`, after one warm-up.
template <class Fn>
double median_ms(Fn&& fn, double seconds = 0.5) {
  fn();
  std::vector<double> times;
  const auto start = Clock::now();
  while (times.size() < 3 ||
         (times.size() < 200 &&
          std::chrono::duration<double>(Clock::now() - start).count() < seconds)) {
    const auto t0 = Clock::now();
    fn();
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

rt::Tensor from_torch(const torch::Tensor& t) {
  const auto c = t.contiguous();
  rt::Tensor r;
  r.shape = c.sizes().vec();
  r.f.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return r;
}

// A model of one 3x3 Conv (stride 1, padding 1) with weights `w`, input [1, C, H, W].
std::string conv_model(const torch::Tensor& w, int64_t hw) {
  onnx::ModelProto m;
  m.set_ir_version(kOnnxIrVersion);
  m.add_opset_import()->set_version(kOnnxOpset);
  auto* g = m.mutable_graph();
  g->set_name("conv");
  const int64_t c = w.size(1), o = w.size(0);
  auto value = [](onnx::ValueInfoProto* v, const std::string& name, std::vector<int64_t> dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  };
  value(g->add_input(), "input", {1, c, hw, hw});
  value(g->add_output(), "y", {1, o, hw, hw});
  auto* init = g->add_initializer();
  init->set_name("w");
  init->set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : w.sizes()) init->add_dims(d);
  const auto wc = w.contiguous();
  init->set_raw_data(
      std::string(reinterpret_cast<const char*>(wc.data_ptr<float>()), wc.numel() * 4));
  auto* n = g->add_node();
  n->set_op_type("Conv");
  n->add_input("input");
  n->add_input("w");
  n->add_output("y");
  auto ints = [&](const char* name, std::vector<int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  };
  ints("kernel_shape", {3, 3});
  ints("pads", {1, 1, 1, 1});
  return m.SerializeAsString();
}

// The JSON lines `command` prints (other lines skipped); says so when it fails, naming `who`.
std::vector<nlohmann::json> json_lines(const std::string& command, const char* who) {
  std::vector<nlohmann::json> lines;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    std::printf("%s: could not start\n", who);
    return lines;
  }
  char line[4096];
  while (std::fgets(line, sizeof line, pipe))
    if (auto j = nlohmann::json::parse(line, nullptr, false); !j.is_discarded())
      lines.push_back(std::move(j));
  if (pclose(pipe) != 0) std::printf("%s: exited with an error\n", who);
  return lines;
}

// ONNX Runtime's median ms for each job "file:N,C,H,W" (the map's keys), or an empty map with
// the reason printed.
std::map<std::string, double> ort_times(const std::vector<std::string>& jobs) {
  const fs::path script = fs::path(HYBRIDNET_SOURCE_DIR) / "tests/onnx/bench_ort.js";
  if (!fs::exists(fs::path(HYBRIDNET_SOURCE_DIR) / "tests/onnx/node_modules/onnxruntime-node")) {
    std::printf(
        "ONNX Runtime: not measured (run `npm ci --onnxruntime-node-install-cuda=skip` "
        "in tests/onnx)\n");
    return {};
  }
  std::string command = "node " + script.string();
  for (const auto& j : jobs) command += " '" + j + "'";
  std::map<std::string, double> ms;
  for (const auto& j : json_lines(command, "ONNX Runtime")) {
    std::string key = j.at("model").get<std::string>() + ":";
    for (const auto& d : j.at("shape")) key += std::to_string(d.get<int64_t>()) + ",";
    key.pop_back();
    ms[key] = j.at("ms").get<double>();
  }
  return ms;
}

std::vector<rt::KernelSet> kernel_sets() {
  std::vector<rt::KernelSet> sets;
  for (auto s : {rt::KernelSet::kAvx512, rt::KernelSet::kAvx2, rt::KernelSet::kPopcnt,
                 rt::KernelSet::kScalar})
    if (rt::cpu_supports(s)) sets.push_back(s);
  return sets;
}

struct LayerShape {
  int64_t hw, c;
  std::string key() const {
    return std::to_string(hw) + "x" + std::to_string(hw) + "x" + std::to_string(c);
  }
  double flops() const { return 2.0 * hw * hw * c * c * 9; }  // multiply and add per MAC
};
const std::vector<LayerShape> kLayerShapes = {{56, 64}, {28, 128}, {14, 256}, {7, 512}};

// This core's clock in GHz while busy: a chain of dependent integer adds retires one per cycle.
double core_ghz() {
#if defined(__x86_64__)
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    uint64_t v = 0;
    const long n = 20'000'000;
    const auto t0 = Clock::now();
    for (long i = 0; i < n; ++i)
      asm volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(v));
    best = std::max(best, 4.0 * n / std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best / 1e9;
#else
  return 0;
#endif
}

// LibTorch's conv2d (oneDNN) on each layer shape, ms.
std::map<std::string, double> libtorch_conv_ms(bool quick) {
  torch::NoGradGuard no_grad;
  std::map<std::string, double> ms;
  for (const auto& s : kLayerShapes) {
    const auto x = torch::randn({1, s.c, s.hw, s.hw}), w = torch::randn({s.c, s.c, 3, 3});
    ms[s.key()] = median_ms([&] { torch::conv2d(x, w, {}, 1, 1); }, quick ? 0.1 : 0.5);
  }
  return ms;
}

// The same in a child process whose oneDNN is capped at AVX2 (its ISA is fixed when it first
// runs, so the cap takes a fresh process): the FP32 convolution an AVX2-only CPU would run.
std::map<std::string, double> libtorch_avx2_conv_ms(bool quick) {
  const std::string command = "ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2 /proc/" +
                              std::to_string(getpid()) + "/exe --libtorch-layers" +
                              (quick ? " --quick" : "");
  std::map<std::string, double> ms;
  for (const auto& j : json_lines(command, "LibTorch capped at AVX2"))
    ms[j.at("shape").get<std::string>()] = j.at("ms").get<double>();
  return ms;
}

void bench_layers(const fs::path& dir, bool quick) {
  const auto& shapes = kLayerShapes;
  std::printf(
      "\n1. One 3x3 binary convolution (stride 1, padding 1, batch 1), ms; ratio = "
      "FP32 time / binary time\n");
  std::map<std::string, std::map<std::string, double>> t;  // shape -> column -> ms
  std::vector<std::string> jobs;
  torch::manual_seed(0);
  for (const auto& s : shapes) {
    const std::string key = s.key();
    const auto x = torch::randn({1, s.c, s.hw, s.hw});
    const auto w = torch::where(torch::randn({s.c, s.c, 3, 3}) >= 0, 1.0f, -1.0f);
    const rt::Tensor xr = from_torch(x), wr = from_torch(w);
    rt::BinaryConvWeights packed;
    if (!rt::pack_binary_weights(wr, packed)) throw std::runtime_error("not binary weights");
    packed.pad_top = packed.pad_left = packed.pad_bottom = packed.pad_right = 1;
    // Bit-exact against LibTorch's convolution of the signs (sums of +-1: exact in float).
    const auto expected = torch::conv2d(torch::where(x >= 0, 1.0f, -1.0f), w, {}, 1, 1);
    const double seconds = quick ? 0.1 : 0.5;
    for (auto set : kernel_sets()) {
      const rt::Tensor out = rt::binary_conv(xr, packed, set);
      const bool exact =
          std::memcmp(out.f.data(), expected.contiguous().data_ptr<float>(), out.f.size() * 4) == 0;
      if (!exact) std::printf("MISMATCH: %s kernels at %s\n", rt::to_string(set), key.c_str());
      t[key][rt::to_string(set)] = median_ms([&] { rt::binary_conv(xr, packed, set); }, seconds);
    }
    rt::Node conv;
    conv.op = "Conv";
    conv.name = "conv";
    conv.int_lists["kernel_shape"] = {3, 3};
    conv.int_lists["pads"] = {1, 1, 1, 1};
    t[key]["ours fp32"] = median_ms([&] { rt::run_op(conv, {&xr, &wr, nullptr}); }, seconds);
    const auto file = dir / ("conv_" + key + ".onnx");
    std::ofstream(file, std::ios::binary) << conv_model(w, s.hw);
    jobs.push_back(file.string() + ":1," + std::to_string(s.c) + "," + std::to_string(s.hw) + "," +
                   std::to_string(s.hw));
  }
  const auto ort = ort_times(jobs);
  for (const auto& [key, ms] : libtorch_conv_ms(quick)) t[key]["libtorch"] = ms;
  const auto onednn_avx2 = libtorch_avx2_conv_ms(quick);
  std::printf("%-12s", "shape");
  for (auto set : kernel_sets()) std::printf(" %9s", rt::to_string(set));
  std::printf(" %10s %9s %9s | %s\n", "ours fp32", "libtorch", "onnxrt",
              "best binary vs onnxrt / libtorch; avx2 vs onnxrt");
  for (size_t i = 0; i < shapes.size(); ++i) {
    const std::string key = shapes[i].key();
    auto& r = t[key];
    const double o = ort.count(jobs[i]) ? ort.at(jobs[i]) : 0;
    std::printf("%-12s", key.c_str());
    for (auto set : kernel_sets()) std::printf(" %9.3f", r[rt::to_string(set)]);
    const double best = r[rt::to_string(kernel_sets().front())];
    std::printf(" %10.3f %9.3f %9.3f | %.1fx / %.1fx", r["ours fp32"], r["libtorch"], o,
                o > 0 ? o / best : 0.0, r["libtorch"] / best);
    if (r.count("avx2") && o > 0) std::printf("; %.1fx", o / r["avx2"]);
    std::printf("\n");
  }
  if (!rt::cpu_supports(rt::KernelSet::kAvx2)) return;
  // ONNX Runtime picks its kernels by cpuid and cannot be held to AVX2: on a CPU with AVX-512
  // it runs 512-bit FMAs while our avx2 kernels use 256-bit vectors. Two FP32 references an
  // AVX2-only CPU would have instead: oneDNN capped at AVX2, and the most any AVX2 code can do,
  // 2 FMA units x 8 floats x 2 FLOP = 32 FLOP per cycle at this core's clock.
  const double ghz = core_ghz();
  std::printf(
      "\n1b. The avx2 kernels against FP32 convolutions held to AVX2 (core clock %.2f GHz, "
      "measured)\n",
      ghz);
  std::printf("%-12s %9s %12s %9s %12s %12s | %s\n", "shape", "avx2", "onnxrt", "onnxrt",
              "onednn avx2", "avx2 ceiling", "avx2 vs onednn avx2 / vs the AVX2 ceiling");
  std::printf("%-12s %9s %12s %9s %12s %12s |\n", "", "ms", "FLOP/cycle", "ms", "ms", "ms");
  for (size_t i = 0; i < shapes.size(); ++i) {
    const std::string key = shapes[i].key();
    const double ours = t[key]["avx2"], o = ort.count(jobs[i]) ? ort.at(jobs[i]) : 0;
    const double capped = onednn_avx2.count(key) ? onednn_avx2.at(key) : 0;
    const double ceiling = ghz > 0 ? shapes[i].flops() / (32 * ghz * 1e9) * 1e3 : 0;
    std::printf("%-12s %9.3f %12.1f %9.3f %12.3f %12.3f | %.1fx / %.1fx\n", key.c_str(), ours,
                o > 0 && ghz > 0 ? shapes[i].flops() / (o * 1e-3 * ghz * 1e9) : 0.0, o, capped,
                ceiling, capped / ours, ceiling / ours);
  }
}

long resident_bytes() {
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

void bench_networks(const fs::path& dir, bool quick) {
  struct Net {
    std::string arch, preset;
    int64_t c, hw, classes;
    std::vector<int64_t> batches;
  };
  std::vector<Net> nets = {{"resnet18", "xnor", 3, 224, 1000, {1, 32}},
                           {"resnet20", "xnor", 3, 32, 10, {1, 32}},
                           {"resnet20", "hybrid-res-a", 3, 32, 10, {1, 32}},
                           {"resnet20", "hybrid-comp-a", 3, 32, 10, {1, 32}}};
  if (quick) nets[0].batches = {1};
  std::printf("\n2. Whole networks, ms per run (one thread); ratio = ONNX Runtime / ours\n");
  std::printf("%-30s %5s %10s %10s %10s %10s %8s %s\n", "network", "batch", "ours", "ours fp32",
              "onnxrt", "libtorch", "ratio", "(ours: share of time in float layers)");
  for (const auto& n : nets) {
    torch::manual_seed(0);
    const auto plan = make_preset(n.preset, n.arch);
    auto net = build_network(plan, int(n.c), int(n.hw), int(n.hw), int(n.classes));
    net->eval();
    const auto& arch = net->architecture();
    const auto weights = extract_network_weights(*net);
    const std::string name = n.arch + " " + n.preset + " " + std::to_string(n.hw) + "x" +
                             std::to_string(n.hw) + "x" + std::to_string(n.c);
    const auto file = dir / (n.arch + "_" + n.preset + "_" + std::to_string(n.hw) + ".onnx");
    std::ofstream(file, std::ios::binary)
        << onnx_model(arch, plan, weights, OnnxModelInfo{}, OnnxPart::kWhole);
    rt::release_cached_blocks();  // the last network's activations
    malloc_trim(0);
    const long before = resident_bytes();
    const rt::Session session(rt::load_graph(file.string()));
    malloc_trim(0);
    const long loaded = resident_bytes() - before;
    const rt::Session float_session(rt::load_graph(file.string()), false);
    const auto cost = plan_cost(plan, int(n.c), int(n.hw), int(n.hw), int(n.classes),
                                load_energy_table(kDefaultEnergyTable));
    std::vector<std::string> jobs;
    for (auto b : n.batches)
      jobs.push_back(file.string() + ":" + std::to_string(b) + "," + std::to_string(n.c) + "," +
                     std::to_string(n.hw) + "," + std::to_string(n.hw));
    const auto ort = ort_times(jobs);
    for (size_t bi = 0; bi < n.batches.size(); ++bi) {
      const int64_t b = n.batches[bi];
      const auto x = torch::randn({b, n.c, n.hw, n.hw});
      const rt::Tensor xr = from_torch(x);
      const double seconds = quick ? 0.2 : 1.0;
      std::map<std::string, double> by_op;
      const double ours = median_ms([&] { session.run(xr); }, seconds);
      session.run(xr, &by_op);
      double total = 0, binary = 0;
      for (const auto& [op, s] : by_op)
        (op == "HybridnetBinaryConv" || op == "HybridnetKbitConv" ? binary : total) += s;
      total += binary;
      const double fp32 = median_ms([&] { float_session.run(xr); }, seconds);
      torch::NoGradGuard no_grad;
      const double lt = median_ms([&] { net->forward(x); }, seconds);
      const double o = ort.count(jobs[bi]) ? ort.at(jobs[bi]) : 0;
      // The float operators that take longest.
      std::vector<std::pair<double, std::string>> slowest;
      for (const auto& [op, s] : by_op)
        if (op != "HybridnetBinaryConv" && op != "HybridnetKbitConv") slowest.push_back({s, op});
      std::sort(slowest.rbegin(), slowest.rend());
      std::string top;
      for (size_t i = 0; i < std::min<size_t>(3, slowest.size()); ++i)
        top += (i ? ", " : ": ") + slowest[i].second + " " +
               std::to_string(int(std::lround(100 * slowest[i].first / total))) + "%";
      std::printf("%-30s %5lld %10.2f %10.2f %10.2f %10.2f %7.1fx (%.0f%% float%s)\n", name.c_str(),
                  (long long)b, ours, fp32, o, lt, o > 0 ? o / ours : 0.0,
                  100 * (total - binary) / total, top.c_str());
    }
    std::printf(
        "%-30s weights in memory %.1f KiB (cost model %.1f KiB); resident after load "
        "+%.1f MiB; kernels %s\n",
        "", session.constant_bytes() / 1024.0, cost.total.memory_bits / 8 / 1024.0,
        loaded / 1048576.0, session.kernels().c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool layers = true, networks = true, quick = false, libtorch_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--layers-only"))
      networks = false;
    else if (!std::strcmp(argv[i], "--networks-only"))
      layers = false;
    else if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--libtorch-layers"))
      libtorch_only = true;  // the child of libtorch_avx2_conv_ms
    else {
      std::fprintf(stderr,
                   "usage: bench_binary_runtime [--layers-only | --networks-only] [--quick]\n");
      return 2;
    }
  }
  // ONNX Runtime runs from its arena and our runtime from its block cache; LibTorch's CPU
  // allocator has none, so let glibc keep freed memory (no mmap per large block, no trimming):
  // otherwise LibTorch's times would be page faults more than arithmetic.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  torch::set_num_threads(1);
  tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
  if (libtorch_only) {
    for (const auto& [shape, ms] : libtorch_conv_ms(quick))
      std::printf("%s\n", nlohmann::json{{"shape", shape}, {"ms", ms}}.dump().c_str());
    return 0;
  }
  const fs::path dir =
      fs::temp_directory_path() / ("bench_binary_runtime." + std::to_string(getpid()));
  fs::create_directories(dir);
  char cpu[256] = "unknown";
  if (std::ifstream info("/proc/cpuinfo"); info)
    for (std::string line; std::getline(info, line);)
      if (line.rfind("model name", 0) == 0) {
        std::snprintf(cpu, sizeof cpu, "%s", line.substr(line.find(':') + 2).c_str());
        break;
      }
  std::printf("CPU: %s; kernel sets it runs:", cpu);
  for (auto s : kernel_sets()) std::printf(" %s", rt::to_string(s));
  std::printf(" (best: %s); float layers on %s; one thread\n",
              rt::to_string(rt::best_kernel_set()), rt::sgemm_library());
  if (layers) bench_layers(dir, quick);
  if (networks) bench_networks(dir, quick);
  if (!std::getenv("BENCH_KEEP"))
    fs::remove_all(dir);
  else
    std::printf("models kept in %s\n", dir.c_str());
  return 0;
}
