// JSON round trips of the run description and its validation.
#include "models/run_spec.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/error.h"
#include "models/json_input.h"

namespace hybridnet::models {

namespace fs = std::filesystem;
using nlohmann::json;

void validate(const TrainConfig& c) {
  auto fail = [](const std::string& m) { throw ConfigError(m); };
  if (c.epochs < 1) fail("--epochs must be >= 1");
  if (c.batch_size < 1) fail("--batch-size must be >= 1");
  if (c.eval_batch_size < 1) fail("eval batch size must be >= 1");
  if (!(c.lr > 0) || !std::isfinite(c.lr)) fail("--lr must be a finite number > 0");
  if (c.momentum < 0 || c.momentum >= 1) fail("--momentum must be in [0, 1)");
  if (c.nesterov && c.momentum == 0) fail("--nesterov needs --momentum > 0");
  if (c.weight_decay < 0) fail("--weight-decay must be >= 0");
  if (c.step_size < 0) fail("--step-size must be >= 0");
  if (c.threads < 0) fail("--threads must be >= 0");
  if (c.max_steps < 0) fail("--max-steps must be >= 0");
  if (!(c.kbit_input_gain > 0) || !std::isfinite(c.kbit_input_gain))
    fail("--kbit-input-gain must be a finite number > 0");
  if (c.bn_recalibration < 0) fail("--bn-recalibration must be >= 0");
  if (c.bn_freeze_epochs < 0) fail("--bn-freeze-epochs must be >= 0");
}

TrainConfig train_config_from_record(const json& j) {
  TrainConfig c = j.get<TrainConfig>();
  // Settings added by issue 12 (k-bit training fidelity), absent from records written before.
  if (!j.contains("kbit_weight_scale")) c.kbit_weight_scale = KbitWeightScale::kMax;
  if (!j.contains("kbit_input_grad")) c.kbit_input_grad = KbitInputGrad::kIdentity;
  if (!j.contains("bn_recalibration")) c.bn_recalibration = 0;
  if (!j.contains("bn_freeze_epochs")) c.bn_freeze_epochs = 0;
  return c;
}

void to_json(json& j, const ExitTraining& t) {
  j = {{"mode", t.mode}, {"lambdas", t.lambdas}, {"exit_epochs", t.exit_epochs}};
}

void from_json(const json& j, ExitTraining& t) {
  const ExitTraining d;
  t.mode = j.value("mode", d.mode);
  t.lambdas = j.value("lambdas", d.lambdas);
  t.exit_epochs = j.value("exit_epochs", d.exit_epochs);
}

std::vector<double> exit_loss_weights(const ExitTraining& t, int early_exits) {
  if (t.exit_epochs < 0) throw ConfigError("exit epochs must be >= 0");
  std::vector<double> w = t.lambdas;
  if (w.empty() && early_exits > 0) w.assign(early_exits, 0.6 / early_exits);
  if (static_cast<int>(w.size()) != early_exits)
    throw ConfigError("exit lambdas: " + std::to_string(w.size()) + " given for " +
                      std::to_string(early_exits) + " early exit(s)");
  double sum = 0;
  for (double l : w) {
    if (!(l >= 0 && l <= 1)) throw ConfigError("exit lambdas must be in [0, 1]");
    sum += l;
  }
  if (sum > 1 + 1e-9)
    throw ConfigError("exit lambdas sum to " + std::to_string(sum) +
                      "; they and the final classifier's weight sum to 1");
  w.push_back(std::max(0.0, 1.0 - sum));
  return w;
}

int total_epochs(const TrainConfig& train, const ExitTraining& t, int early_exits) {
  if (early_exits == 0 || t.mode != ExitMode::kSeparate) return train.epochs;
  return train.epochs + (t.exit_epochs > 0 ? t.exit_epochs : train.epochs);
}

json run_identity(const HybridPlan& plan, const DataOptions& data, const TrainConfig& train,
                  const ExitTraining& exit_training, const std::string& init_from,
                  RunIdentityOptions options) {
  json t = train;
  for (const char* k : {"threads", "device", "eval_batch_size"}) t.erase(k);
  // A setting added after studies were stored counts only when it differs from the value in force
  // before it existed, so that those studies keep their trial keys.
  if (train.kbit_input_gain == 1.0) t.erase("kbit_input_gain");
  if (!options.epochs) t.erase("epochs");
  // Keys and order as sweeps have always hashed them: stored studies keep their trial keys.
  json identity = {{"plan", plan.to_json()}, {"train", t}, {"data", data}};
  if (!plan.exits.empty()) identity["exit_training"] = exit_training;
  if (options.init_from && !init_from.empty()) identity["init_from"] = init_from;
  return identity;
}

json run_identity(const RunSpec& s, RunIdentityOptions options) {
  return run_identity(s.plan, s.data, s.train, s.exit_training, s.init_from, options);
}

json run_spec_to_json(const RunSpec& s) {
  json j = {{"plan", s.plan.to_json()},
            {"data", s.data},
            {"train", s.train},
            {"shape",
             {{"channels", s.in_channels},
              {"height", s.in_h},
              {"width", s.in_w},
              {"classes", s.num_classes}}}};
  if (!s.plan.exits.empty()) j["exit_training"] = s.exit_training;
  if (!s.init_from.empty()) j["init_from"] = s.init_from;
  return j;
}

RunSpec run_spec_from_json(const json& j, const std::string& where) {
  RunSpec s;
  try {
    s.plan = HybridPlan::from_json(j.at("plan"), where);
    s.data = j.at("data").get<DataOptions>();
    s.train = train_config_from_record(j.at("train"));
    if (j.contains("exit_training")) s.exit_training = j.at("exit_training").get<ExitTraining>();
    s.init_from = j.value("init_from", std::string());
    const json& shape = j.at("shape");
    s.in_channels = shape.at("channels");
    s.in_h = shape.at("height");
    s.in_w = shape.at("width");
    s.num_classes = shape.at("classes");
  } catch (const json::exception& e) {
    throw DataError(where + ": malformed run description: " + without_json_prefix(e.what()));
  } catch (const ConfigError& e) {  // a setting's value not allowed (an enum's name)
    throw DataError(where + ": malformed run description: " + e.what());
  }
  return s;
}

json read_json_file(const std::string& path) {
  try {
    return read_json_input_file(path);
  } catch (const ConfigError& e) {  // the file, not the user's settings, is wrong
    throw DataError(e.what());
  }
}

RunSpec load_run_spec(const std::string& dir) {
  if (!fs::is_directory(dir)) throw DataError(dir + ": checkpoint directory not found");
  const std::string path = (fs::path(dir) / "run.json").string();
  return run_spec_from_json(read_json_file(path), path);
}

}  // namespace hybridnet::models
