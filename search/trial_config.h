// What a trial trains besides its plan: training settings, data, how its exits train, the energy
// table it is scored with, and the trial whose weights it starts from. Typed everywhere inside
// the search; JSON only in the store (a trial's config column).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "db/store.h"
#include "models/data_options.h"
#include "models/energy_table.h"
#include "models/run_spec.h"

namespace hybridnet::search {

struct TrialConfig {
  models::TrainConfig train;  ///< seed included; threads are the worker's
  models::DataOptions data;
  /// How the exits train; set exactly when the plan has exits.
  std::optional<models::ExitTraining> exit_training;
  std::string energy_table = models::kDefaultEnergyTable;
  /// Key of the finished trial whose weights this one starts from (the XNOR baseline, for
  /// analysis families in a space with "init": "baseline"); empty: fresh weights at the seed.
  std::string init_key;
};

/// {"train", "data", "energy_table"}, with exits "exit_training", and when warm-started
/// "init": {"from": "baseline", "key": init_key}.
void to_json(nlohmann::json& j, const TrialConfig& c);
/// Reads a stored config: records from before a setting existed get the value in force then
/// (models::train_config_from_record; no energy table: the default). DataError naming `where`
/// when it is malformed.
TrialConfig trial_config_from_json(const nlohmann::json& j, const std::string& where);
/// The stored trial's config; DataError naming the trial when it is malformed.
TrialConfig trial_config(const db::TrialRecord& t);
/// Epochs of the trial's full budget (its exits' separate training included).
int full_epochs(const db::TrialRecord& t);

}  // namespace hybridnet::search
