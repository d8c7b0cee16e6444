// Training and evaluation of a HybridNet, with a run directory that makes runs resumable and
// reproducible:
//   run.json        what was asked (plan, data options, training config, data shape)
//   plan.json       the canonical plan
//   model.pt        weights after the last finished epoch (written atomically)
//   optimizer.pt    optimizer state after the last finished epoch
//   state.json      finished epochs and their metrics (the learning curve)
//   metrics.json    final metrics, written when training completes (test_accuracy a fraction)
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "models/dataset.h"
#include "models/network.h"
#include "models/run_spec.h"

namespace hybridnet::models {

struct Evaluation {
  double top1 = 0, top5 = 0, loss = 0;
  int64_t samples = 0;
};

struct EpochRecord {
  int epoch = 0;  ///< 1-based
  double lr = 0, train_loss = 0, train_accuracy = 0;
  double val_accuracy = -1;  ///< -1 without a validation split
  /// -1 when not measured: with a validation split, the test set is measured after the last
  /// epoch only.
  double test_accuracy = 0, test_top5 = 0;
  double seconds = 0;
};

/// The run of `plan` with `train` settings on `data` (loaded as `splits`, which give the shape).
RunSpec make_run_spec(const HybridPlan& plan, const DataOptions& data, const DataSplits& splits,
                      const TrainConfig& train);

struct TrainProgress {
  int epoch, epochs;
  int64_t step, steps;
  double loss, accuracy, elapsed_seconds;
};
/// Called after every step and after every finished epoch (its checkpoint already written).
struct TrainCallbacks {
  std::function<void(const TrainProgress&)> step;
  std::function<void(const EpochRecord&)> epoch;
};

struct TrainResult {
  std::vector<EpochRecord> history;
  Evaluation test;
  int resumed_from_epoch = 0;  ///< epochs found finished in the run directory
  /// false when the run stopped at `until_epoch` before its last epoch (no metrics.json; `test`
  /// is the network's accuracy there, or top1 -1 with a validation split: not measured).
  bool complete = true;
};

/// The loss of a network's outputs (early exits, then the final classifier): sum_k w_k CE_k
/// (edge-cloud paper eq. 5; w from exit_loss_weights). A weight of 0 skips its output.
torch::Tensor exit_loss(const std::vector<torch::Tensor>& outputs, const torch::Tensor& labels,
                        const std::vector<double>& weights);

/// The untrained network of a run: its plan at its seed, with its quantizer options.
HybridNet build_run_network(const RunSpec& spec);

/// LibTorch's intra-op (OpenMP) threads: `threads` if > 0, else every core.
void set_intra_op_threads(int threads);

/// The torch device: CPU, or CUDA when LibTorch was built with CUDA (ConfigError if not).
torch::Device resolve_device(Device device);

/// Top-1/top-5 accuracy and mean loss of `net` on `data` (eval mode, no gradients).
Evaluation evaluate(HybridNet& net, const Dataset& data, int batch_size, torch::Device device);

/// Trains the run described by `spec` in `dir`, resuming after the last finished epoch when `dir`
/// holds the same run (a larger epoch count continues it, with the schedule of the new total); a
/// different run there is a ConfigError. NaN/inf loss is a TrainingError (the last finished
/// epoch's checkpoint stays). Writes metrics.json on completion.
/// `until_epoch` > 0 stops after that many finished epochs (a rung of a multi-fidelity search)
/// with the learning-rate schedule of the full run, so that continuing later (a larger
/// `until_epoch`, or 0) is identical to never having stopped; a directory already that far
/// only evaluates.
TrainResult train_run(const RunSpec& spec, const DataSplits& data, const std::string& dir,
                      const TrainCallbacks& callbacks = {}, int until_epoch = 0);

/// Loads a finished or partial run directory: its spec and its network with trained weights.
struct LoadedRun {
  RunSpec spec;
  HybridNet net{nullptr};
  int epochs_done = 0;
};
LoadedRun load_run(const std::string& dir);

}  // namespace hybridnet::models
