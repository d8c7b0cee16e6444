#include "search/trial_config.h"

#include "models/error.h"
#include "models/json_input.h"

namespace hybridnet::search {

using nlohmann::json;

void to_json(json& j, const TrialConfig& c) {
  j = {{"train", c.train}, {"data", c.data}, {"energy_table", c.energy_table}};
  if (c.exit_training) j["exit_training"] = *c.exit_training;
  if (!c.init_key.empty()) j["init"] = {{"from", "baseline"}, {"key", c.init_key}};
}

TrialConfig trial_config_from_json(const json& j, const std::string& where) {
  TrialConfig c;
  try {
    c.train = models::train_config_from_record(j.at("train"));
    c.data = j.at("data").get<models::DataOptions>();
    if (j.contains("energy_table")) c.energy_table = j.at("energy_table").get<std::string>();
    if (j.contains("exit_training"))
      c.exit_training = j.at("exit_training").get<models::ExitTraining>();
    if (j.contains("init")) c.init_key = j.at("init").at("key").get<std::string>();
  } catch (const json::exception& e) {
    throw DataError(where + ": malformed trial configuration: " + models::without_json_prefix(e.what()));
  } catch (const ConfigError& e) {
    throw DataError(where + ": malformed trial configuration: " + e.what());
  }
  return c;
}

TrialConfig trial_config(const db::TrialRecord& t) {
  return trial_config_from_json(t.config, "trial #" + std::to_string(t.id));
}

int full_epochs(const db::TrialRecord& t) {
  const TrialConfig c = trial_config(t);
  // The exit training is set exactly when the plan has exits; its count does not matter here.
  return c.exit_training ? models::total_epochs(c.train, *c.exit_training, 1) : c.train.epochs;
}

}  // namespace hybridnet::search
