// What a run is: the plan, the data, the training settings and the data shape. Plain structs
// with JSON round trips and no torch types, so that torch-free code (analysis/, search/, db/) can
// read a run directory's run.json.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "models/data_options.h"
#include "models/hybrid_plan.h"
#include "models/quantizer_options.h"

namespace hybridnet::models {

struct TrainConfig {
  int epochs = 1;
  int batch_size = 128;
  std::string optimizer = "sgd";  ///< sgd | adam
  double lr = 0.1;
  double momentum = 0.9;  ///< SGD only
  bool nesterov = false;  ///< SGD only
  double weight_decay = 1e-4;
  std::string schedule = "cosine";  ///< cosine | step | constant (per epoch)
  int step_size = 0;                ///< step schedule: epochs per decay (0 = epochs / 3)
  double gamma = 0.1;               ///< step schedule: decay factor
  uint64_t seed = 0;
  std::string device = "cpu";  ///< cpu | cuda
  int threads = 0;             ///< intra-op threads (0 = all cores)
  int64_t max_steps = 0;       ///< cap on steps per epoch (0 = whole epoch); for smoke runs
  int eval_batch_size = 256;
  // Quantizer training (models/quantizer.h says what each does and why the defaults).
  KbitInputGrad kbit_input_grad = KbitInputGrad::kClipped;
  KbitWeightScale kbit_weight_scale = KbitWeightScale::kMse;
  bool alpha_grad = false;
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
};
// JSON round trip (run.json): keys are the field names; missing keys keep the defaults.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainConfig, epochs, batch_size, optimizer, lr,
                                                momentum, nesterov, weight_decay, schedule,
                                                step_size, gamma, seed, device, threads, max_steps,
                                                eval_batch_size, kbit_input_grad, kbit_weight_scale,
                                                alpha_grad, bn_recalibration, bn_freeze_epochs)
/// A training config as hybridnet wrote it (run.json, a store's trial config). Records written
/// before a setting existed get the value that was in force then, so an old run is evaluated and
/// resumed as it was trained (k-bit weights on the max|W| grid, identity k-bit input gradient, no
/// batch-norm recalibration or freezing).
TrainConfig train_config_from_record(const nlohmann::json& j);
/// Throws ConfigError naming the option when a value is out of range.
void validate(const TrainConfig& c);

/// How a network with early exits trains (edge-cloud paper II.B). "joint": the loss is
/// sum_k lambda_k CE_k over every exit and the final classifier (eq. 5); "separate": the
/// backbone trains on the final classifier alone for `epochs`, then is frozen (weights and
/// batch-norm statistics) while the exits train for `exit_epochs` more.
struct ExitTraining {
  std::string mode = "joint";
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

/// Reads DIR/run.json; errors name the directory or the file.
RunSpec load_run_spec(const std::string& dir);

/// Parses a JSON file; a missing or malformed file is a DataError naming it.
nlohmann::json read_json_file(const std::string& path);

}  // namespace hybridnet::models
