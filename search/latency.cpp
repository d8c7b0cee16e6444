#include "search/latency.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>

#include "models/atomic_file.h"
#include "models/error.h"
#include "search/export.h"

namespace hybridnet::search {

namespace fs = std::filesystem;

std::string own_executable() {
  std::error_code ec;
  const auto path = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : path.string();
}

namespace {

// A fresh private directory under the system's temporary directory, removed on scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hybridnet-latency-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw DataError(pattern + ": cannot create a temporary directory");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Single-quoted for sh.
std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

double measure_latency_ms(const std::string& hybridnet_exe, const std::string& run, int images) {
  const TempDir dir;
  const std::string model = (dir.path / "model.onnx").string();
  write_file_atomic(model, run_onnx_model(run));
  const std::string command = quoted(hybridnet_exe) + " infer --model " + quoted(model) +
                              " --synthetic --threads 1 --batch 1 --latency-images " +
                              std::to_string(images) + " --json 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw ConfigError("latency of " + run + ": cannot start " + hybridnet_exe);
  std::string output;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) output += buf.data();
  const int status = pclose(pipe);
  const auto j = nlohmann::json::parse(output, nullptr, false);
  if (status != 0 || j.is_discarded() || !j.contains("latency_ms")) {
    std::string first_line = output.substr(0, output.find('\n'));
    throw ConfigError("latency of " + run + ": `" + hybridnet_exe + " infer` failed" +
                      (first_line.empty() ? "" : ": " + first_line));
  }
  return j.at("latency_ms").at("p50").get<double>();
}

namespace {

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double mean = (double(i) + double(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) r[order[k]] = mean;
    i = j + 1;
  }
  return r;
}

}  // namespace

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (x.size() != y.size() || x.size() < 2) return nan;
  const auto rx = ranks(x), ry = ranks(y);
  const double n = double(x.size()), mean = (n + 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : nan;
}

}  // namespace hybridnet::search
