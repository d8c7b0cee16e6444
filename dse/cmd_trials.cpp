// `hybridnet trials`: the trials of a study, filtered and sorted, as a table, JSON or CSV.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "models/error.h"
#include "search/results.h"

namespace hybridnet::dse {

struct TrialsOptions {
  std::string db, study, state, sort;
  bool json = false, csv = false;
};

void run_trials(const TrialsOptions& o) {
  if (o.json && o.csv) throw ConfigError("--json and --csv exclude each other");
  auto store = open_store(o.db, /*read_only=*/true);
  const auto study = require_study(*store, o.study, o.db);
  auto trials = store->trials(study.id);
  search::with_rung_accuracy(trials, store->rungs(study.id));  // stopped: accuracy at the rung
  if (!o.state.empty()) {
    const auto state = db::parse_state(o.state);
    trials.erase(std::remove_if(trials.begin(), trials.end(),
                                [&](const db::TrialRecord& t) { return t.state != state; }),
                 trials.end());
  }
  if (!o.sort.empty()) {
    const auto obj = search::parse_objective(o.sort, "--sort");
    // Best first; trials without the value last.
    std::stable_sort(trials.begin(), trials.end(), [&](const auto& a, const auto& b) {
      const double x = search::objective_value(a, obj), y = search::objective_value(b, obj);
      if (!std::isfinite(y)) return std::isfinite(x);
      if (!std::isfinite(x)) return false;
      return obj.maximize ? x > y : x < y;
    });
  }
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : trials) out.push_back(search::trial_summary(t));
    std::cout << out.dump(2) << "\n";
  } else if (o.csv) {
    std::cout << search::trials_csv(trials);
  } else {
    std::printf("study %s: %zu trial(s)\n%s", study.name.c_str(), trials.size(),
                trial_table(trials).c_str());
  }
}

void setup_trials(CLI::App& app) {
  auto opt = std::make_shared<TrialsOptions>();
  auto* sub = app.add_subcommand("trials", "List the trials of a study");
  sub->add_option("--db", opt->db, kDbHelp)->required();
  sub->add_option("--study", opt->study, "Study (default: the store's only study)");
  sub->add_option("--state", opt->state, "Only trials in this state: pending, running, done, "
                                         "failed, interrupted, stopped (at a rung)");
  sub->add_option("--sort", opt->sort,
                  "Sort by an objective, best first: accuracy, energy, memory, ee_fp, ... "
                  "(name:min or name:max to choose the direction)");
  sub->add_flag("--json", opt->json, "Print JSON: id, family, params, plan_hash, state, "
                                     "accuracy, energy_pj, memory_bits, ee_fp, mc_fp, ...");
  sub->add_flag("--csv", opt->csv, "Print CSV with the same columns");
  sub->callback([opt] { run_trials(*opt); });
}

}  // namespace hybridnet::dse
