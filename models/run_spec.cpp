// JSON round trips of the run description and its validation.
#include "models/run_spec.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/error.h"

namespace hybridnet::models {

namespace fs = std::filesystem;
using nlohmann::json;

void to_json(json& j, const TrainConfig& c) {
  j = json{{"epochs", c.epochs},
           {"batch_size", c.batch_size},
           {"optimizer", c.optimizer},
           {"lr", c.lr},
           {"momentum", c.momentum},
           {"nesterov", c.nesterov},
           {"weight_decay", c.weight_decay},
           {"schedule", c.schedule},
           {"step_size", c.step_size},
           {"gamma", c.gamma},
           {"seed", c.seed},
           {"device", c.device},
           {"threads", c.threads},
           {"max_steps", c.max_steps},
           {"eval_batch_size", c.eval_batch_size}};
}

void from_json(const json& j, TrainConfig& c) {
  const TrainConfig d;
  c.epochs = j.value("epochs", d.epochs);
  c.batch_size = j.value("batch_size", d.batch_size);
  c.optimizer = j.value("optimizer", d.optimizer);
  c.lr = j.value("lr", d.lr);
  c.momentum = j.value("momentum", d.momentum);
  c.nesterov = j.value("nesterov", d.nesterov);
  c.weight_decay = j.value("weight_decay", d.weight_decay);
  c.schedule = j.value("schedule", d.schedule);
  c.step_size = j.value("step_size", d.step_size);
  c.gamma = j.value("gamma", d.gamma);
  c.seed = j.value("seed", d.seed);
  c.device = j.value("device", d.device);
  c.threads = j.value("threads", d.threads);
  c.max_steps = j.value("max_steps", d.max_steps);
  c.eval_batch_size = j.value("eval_batch_size", d.eval_batch_size);
}

void validate(const TrainConfig& c) {
  auto fail = [](const std::string& m) { throw ConfigError(m); };
  if (c.epochs < 1) fail("--epochs must be >= 1");
  if (c.batch_size < 1) fail("--batch-size must be >= 1");
  if (c.eval_batch_size < 1) fail("eval batch size must be >= 1");
  if (c.optimizer != "sgd" && c.optimizer != "adam")
    fail("--optimizer must be sgd or adam, not " + c.optimizer);
  if (!(c.lr > 0)) fail("--lr must be > 0");
  if (c.momentum < 0 || c.momentum >= 1) fail("--momentum must be in [0, 1)");
  if (c.nesterov && c.momentum == 0) fail("--nesterov needs --momentum > 0");
  if (c.weight_decay < 0) fail("--weight-decay must be >= 0");
  if (c.schedule != "cosine" && c.schedule != "step" && c.schedule != "constant")
    fail("--schedule must be cosine, step or constant, not " + c.schedule);
  if (c.step_size < 0) fail("--step-size must be >= 0");
  if (c.threads < 0) fail("--threads must be >= 0");
  if (c.max_steps < 0) fail("--max-steps must be >= 0");
}

json run_spec_to_json(const RunSpec& s) {
  return {{"plan", s.plan.to_json()},
          {"data", s.data},
          {"train", s.train},
          {"shape",
           {{"channels", s.in_channels},
            {"height", s.in_h},
            {"width", s.in_w},
            {"classes", s.num_classes}}}};
}

RunSpec run_spec_from_json(const json& j, const std::string& where) {
  RunSpec s;
  try {
    s.plan = HybridPlan::from_json(j.at("plan"), where);
    s.data = j.at("data").get<DataOptions>();
    s.train = j.at("train").get<TrainConfig>();
    const json& shape = j.at("shape");
    s.in_channels = shape.at("channels");
    s.in_h = shape.at("height");
    s.in_w = shape.at("width");
    s.num_classes = shape.at("classes");
  } catch (const json::exception& e) {
    throw DataError(where + ": malformed run description: " + e.what());
  }
  return s;
}

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataError(path + ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw DataError(path + ": malformed JSON: " + e.what());
  }
}

RunSpec load_run_spec(const std::string& dir) {
  const std::string path = (fs::path(dir) / "run.json").string();
  return run_spec_from_json(read_json_file(path), path);
}

}  // namespace hybridnet::models
