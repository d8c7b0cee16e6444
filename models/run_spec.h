// What a run is: the plan, the data, the training settings and the data shape. Plain structs
// with JSON round trips and no torch types, so that torch-free code (analysis/, search/, db/) can
// read a run directory's run.json.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "models/data_options.h"
#include "models/hybrid_plan.h"
#include "models/json_enum.h"
#include "models/quantizer_options.h"

namespace hybridnet::models {

enum class Optimizer { kSgd, kAdam };
HYBRIDNET_JSON_ENUM(Optimizer, "optimizer", {{Optimizer::kSgd, "sgd"}, {Optimizer::kAdam, "adam"}})
/// Learning rate per epoch: cosine annealing to 0, step decay, or constant.
enum class LrSchedule { kCosine, kStep, kConstant };
HYBRIDNET_JSON_ENUM(LrSchedule, "schedule",
                    {{LrSchedule::kCosine, "cosine"},
                     {LrSchedule::kStep, "step"},
                     {LrSchedule::kConstant, "constant"}})
/// Where a network trains: cuda needs a LibTorch built with CUDA.
enum class Device { kCpu, kCuda };
HYBRIDNET_JSON_ENUM(Device, "device", {{Device::kCpu, "cpu"}, {Device::kCuda, "cuda"}})

struct TrainConfig {
  int epochs = 1;
  int batch_size = 128;
  Optimizer optimizer = Optimizer::kSgd;
  double lr = 0.1;
  double momentum = 0.9;  ///< SGD only
  bool nesterov = false;  ///< SGD only
  double weight_decay = 1e-4;
  LrSchedule schedule = LrSchedule::kCosine;
  int step_size = 0;                ///< step schedule: epochs per decay (0 = epochs / 3)
  double gamma = 0.1;               ///< step schedule: decay factor
  uint64_t seed = 0;
  Device device = Device::kCpu;
  int threads = 0;             ///< intra-op threads (0 = all cores)
  int64_t max_steps = 0;       ///< cap on steps per epoch (0 = whole epoch); for smoke runs
  int eval_batch_size = 256;
  // Quantizer training (models/quantizer.h says what each does and why the defaults).
  KbitInputGrad kbit_input_grad = KbitInputGrad::kClipped;
  KbitWeightScale kbit_weight_scale = KbitWeightScale::kMse;
  bool alpha_grad = false;
  /// Initial gamma of the batch norms that feed k-bit input quantizers: the quantizer's domain
  /// [-1, 1] then spans +-1/gain standard deviations of the normalised input. Gamma hardly moves
  /// in training, so the initial value stays the quantizer's range. 1.5 helped all-2-bit ResNet-8
  /// but not the ResNet-20 hybrids (quantizer.h), so the default stays 1.
  double kbit_input_gain = 1.0;
  /// Batch-norm statistics are recomputed (with the epoch's final weights) before every
  /// evaluation and checkpoint from this many batches' worth of training images, passed as one
  /// batch (models/batch_norm_recalibration.h); 0 keeps the running averages.
  int bn_recalibration = 20;
  /// Final epochs trained with batch-norm statistics frozen (eval-mode arithmetic; gamma and beta
  /// still learn), so that the weights fit the statistics the network is evaluated with. Only
  /// when the run has more epochs than this. Off by default: on the 3-epoch quick start it cost
  /// FP 2.3 and XNOR 1.3 points (3 seeds).
  int bn_freeze_epochs = 0;
  /// The quantizer options these settings name.
  QuantizerOptions quantizer() const { return {kbit_input_grad, kbit_weight_scale, alpha_grad}; }
  /// The optimizer's usual learning rate (adam 1e-3, sgd 0.1): the default when none is given.
  double default_lr() const { return optimizer == Optimizer::kAdam ? 1e-3 : 0.1; }
};
// JSON round trip (run.json): keys are the field names; missing keys keep the defaults.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainConfig, epochs, batch_size, optimizer, lr,
                                                momentum, nesterov, weight_decay, schedule,
                                                step_size, gamma, seed, device, threads, max_steps,
                                                eval_batch_size, kbit_input_grad, kbit_weight_scale,
                                                alpha_grad, kbit_input_gain, bn_recalibration,
                                                bn_freeze_epochs)
/// A training config as hybridnet wrote it (run.json, a store's trial config). Records written
/// before a setting existed get the value that was in force then, so an old run is evaluated and
/// resumed as it was trained (k-bit weights on the max|W| grid, identity k-bit input gradient, no
/// batch-norm recalibration or freezing).
TrainConfig train_config_from_record(const nlohmann::json& j);
/// Throws ConfigError naming the option when a value is out of range.
void validate(const TrainConfig& c);

/// How the exits of a network train (ExitTraining below).
enum class ExitMode { kJoint, kSeparate };
HYBRIDNET_JSON_ENUM(ExitMode, "exit training",
                    {{ExitMode::kJoint, "joint"}, {ExitMode::kSeparate, "separate"}})

/// How a network with early exits trains (edge-cloud paper II.B). "joint": the loss is
/// sum_k lambda_k CE_k over every exit and the final classifier (eq. 5); "separate": the
/// backbone trains on the final classifier alone for `epochs`, then is frozen (weights and
/// batch-norm statistics) while the exits train for `exit_epochs` more.
struct ExitTraining {
  ExitMode mode = ExitMode::kJoint;
  /// lambda per early exit; empty: 0.6 shared equally by the early exits (the paper's value
  /// for one exit). The final classifier gets 1 - their sum.
  std::vector<double> lambdas;
  int exit_epochs = 0;  ///< separate: epochs of the exits' phase (0: as many as the backbone's)
  bool operator==(const ExitTraining& o) const {
    return mode == o.mode && lambdas == o.lambdas && exit_epochs == o.exit_epochs;
  }
};
/// {"mode", "lambdas", "exit_epochs"}; missing keys keep the defaults.
void to_json(nlohmann::json& j, const ExitTraining& t);
void from_json(const nlohmann::json& j, ExitTraining& t);
/// Loss weights of the early exits and then the final classifier (they sum to 1); throws
/// ConfigError when the mode is unknown or the lambdas do not fit `early_exits`.
std::vector<double> exit_loss_weights(const ExitTraining& t, int early_exits);
/// Epochs of the whole run: the exits' phase of separate training comes on top.
int total_epochs(const TrainConfig& train, const ExitTraining& t, int early_exits);

/// Everything needed to rebuild and re-evaluate a run.
struct RunSpec {
  HybridPlan plan;
  DataOptions data;
  TrainConfig train;
  ExitTraining exit_training;  ///< in run.json only when the plan has exits
  /// A run directory whose trained weights (model.pt) the network starts from instead of fresh
  /// ones at the seed (warm start, fine-tuning); empty: from scratch. In run.json only when set.
  std::string init_from;
  int in_channels = 1, in_h = 28, in_w = 28, num_classes = 10;
};
nlohmann::json run_spec_to_json(const RunSpec& spec);
RunSpec run_spec_from_json(const nlohmann::json& j, const std::string& where);

/// What makes two runs the same run, as JSON to compare or hash: the plan, the data options, the
/// training settings that change what is computed (not threads, device or the evaluation batch
/// size), how the exits train (when the plan has exits) and the run whose weights it starts
/// from. The one definition behind a sweep's candidate key and the trainer's check that a run
/// directory it resumes holds this run.
struct RunIdentityOptions {
  bool epochs = true;     ///< false: training longer continues the same run
  bool init_from = true;  ///< false: where the start weights came from matters once, not after
};
nlohmann::json run_identity(const HybridPlan& plan, const DataOptions& data,
                            const TrainConfig& train, const ExitTraining& exit_training,
                            const std::string& init_from, RunIdentityOptions options = {});
nlohmann::json run_identity(const RunSpec& spec, RunIdentityOptions options = {});

/// Reads DIR/run.json; errors name the directory or the file.
RunSpec load_run_spec(const std::string& dir);

/// Parses a JSON file; a missing or malformed file is a DataError naming it.
nlohmann::json read_json_file(const std::string& path);

}  // namespace hybridnet::models
