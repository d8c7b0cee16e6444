// Views of a study's results shared by the query commands and the report: objective values of
// trials, the Pareto front of the finished ones, and the JSON/CSV rows users script against.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "db/store.h"
#include "search/pareto.h"

namespace hybridnet::search {

/// The trial of `trials` whose identity is `key` (keys are unique in a study), or nullptr.
/// The energy table a trial is scored with: its configuration's, or the default for trials
/// stored without one.
std::string trial_energy_table(const db::TrialRecord& t);

const db::TrialRecord* trial_with_key(const std::vector<db::TrialRecord>& trials,
                                      const std::string& key);

/// A trial's value of an objective (NaN when it has none yet).
double objective_value(const db::TrialRecord& t, const Objective& o);

/// The study's objectives: those of the space it was last run with.
std::vector<Objective> study_objectives(const db::StudyRecord& study);

/// The study's design points: every trial, except that a finished trial with operating points
/// (a network with early exits, scored at several exit thresholds) stands as one record per
/// point, with `point` set. Such a record's objectives are the point's: accuracy, energy_pj
/// (mean per inference) and ee_fp / ee_xnor at that energy; memory_bits and mc_* are the
/// network's; top5 and flops are not measured per point and left out. Points of one network
/// with the same outcome (no sample changes its exit between them) are one design point, at
/// the lowest of their thresholds. Trial order, then thresholds.
std::vector<db::TrialRecord> design_points(const std::vector<db::TrialRecord>& trials);

/// Trial `t` (done, with operating points) as its point i: the objectives of design_points.
db::TrialRecord at_point(const db::TrialRecord& t, size_t i);
/// Index of the operating point of `t` at threshold `threshold` (every exit's); ConfigError
/// listing the stored thresholds when it has none there.
size_t find_point(const db::TrialRecord& t, double threshold);

/// {"thresholds", "exit_share", "exit_accuracy", "accuracy", "edge_energy_pj",
///  "cloud_energy_pj", "mean_energy_pj"}: an operating point as `show --json` and an export's
/// trial.json list it (the names of `hybridnet exits --json`).
nlohmann::json point_json(const db::PointRow& p);

/// "t=0.5" (one threshold per early exit: "t=0.5/0.8"), empty for a record that is no point.
std::string point_label(const db::TrialRecord& t);

/// Pareto front over the design points of the finished (done) trials with every objective
/// known, in trial order; `include_stopped` adds the trials stopped at a rung of successive
/// halving, at their rung accuracy (with_rung_accuracy).
std::vector<db::TrialRecord> pareto_trials(const std::vector<db::TrialRecord>& trials,
                                           const std::vector<Objective>& objectives,
                                           bool include_stopped = false);

/// Trials stopped at a rung get their accuracy there (the last rung they reached, from `rungs`)
/// as their "accuracy", so that tables and `pareto --include-stopped` can show them; done
/// trials keep their own.
void with_rung_accuracy(std::vector<db::TrialRecord>& trials, const std::vector<db::RungRow>& rungs);

/// "done", "stopped r1" (at rung 1), "pending r2" (promoted towards rung 2): a trial's state
/// with its rung once successive halving moved it past the first.
std::string state_label(const db::TrialRecord& t);

/// How many trials a front holds out of `of` (e.g. "2 of 5 finished trials"), and how many
/// design points when exit thresholds count separately ("7 points of 2 of 5 ...").
std::string front_count(const std::vector<db::TrialRecord>& front, size_t of,
                        const std::string& what);

/// {"id", "family", "params", "settings", "plan_hash", "arch", "width", "state", "attempts",
///  "accuracy", "energy_pj", "memory_bits", "ee_fp", "mc_fp", "flops", "failure",
///  "thresholds", "rung", "epochs_done", "val_accuracy", "test_accuracy"}; unknown values are
///  null. "thresholds" is set for a design point, which also
///  gets "point": {"exit_share", "exit_accuracy", "edge_energy_pj", "cloud_energy_pj"}; a
///  trial with operating points gets "points" (their number).
nlohmann::json trial_summary(const db::TrialRecord& t);
/// The same columns as CSV (params and thresholds as compact JSON), with a header line.
std::string trials_csv(const std::vector<db::TrialRecord>& trials);

}  // namespace hybridnet::search
