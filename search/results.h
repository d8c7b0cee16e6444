// Views of a study's results shared by the query commands and the report: objective values of
// trials, the Pareto front of the finished ones, and the JSON/CSV rows users script against.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "db/store.h"
#include "search/pareto.h"

namespace hybridnet::search {

/// A trial's value of an objective (NaN when it has none yet).
double objective_value(const db::TrialRecord& t, const Objective& o);

/// The study's objectives: those of the space it was last run with.
std::vector<Objective> study_objectives(const db::StudyRecord& study);

/// Pareto front over the finished (done) trials with every objective known, in trial order.
std::vector<db::TrialRecord> pareto_trials(const std::vector<db::TrialRecord>& trials,
                                           const std::vector<Objective>& objectives);

/// {"id", "family", "params", "settings", "plan_hash", "arch", "width", "state", "attempts",
///  "accuracy",
///  "energy_pj", "memory_bits", "ee_fp", "mc_fp", "flops", "failure"}; unknown values are null.
nlohmann::json trial_summary(const db::TrialRecord& t);
/// The same columns as CSV (params as compact JSON), with a header line.
std::string trials_csv(const std::vector<db::TrialRecord>& trials);

}  // namespace hybridnet::search
