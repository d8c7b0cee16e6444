// The measured latency objective ("latency:min" in a space): a finished trial's network,
// exported to ONNX, timed by hybridnet's own runtime at batch 1 on one thread (`hybridnet infer
// --synthetic`), in a child process so that its threads and memory stay out of the sweep's.
#pragma once

#include <string>
#include <vector>

namespace hybridnet::search {

/// Images timed one at a time per trial; the median is the objective.
inline constexpr int kLatencyImages = 50;

/// Median batch-1 latency in ms of the network in run directory `run`, timed by
/// `hybridnet_exe infer --synthetic` (one thread, the best kernels of this CPU) on `images`
/// images. ConfigError with the child's one-line error when it fails.
double measure_latency_ms(const std::string& hybridnet_exe, const std::string& run,
                          int images = kLatencyImages);

/// The running program's own path (/proc/self/exe): the hybridnet binary when a sweep runs.
std::string own_executable();

/// Spearman's rank correlation of x and y (ties get their mean rank); NaN for fewer than two
/// points or a constant series.
double spearman_rho(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace hybridnet::search
