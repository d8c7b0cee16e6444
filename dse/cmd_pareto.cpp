// `hybridnet pareto`: the Pareto front of a study's finished trials over chosen objectives.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "models/error.h"
#include "search/results.h"

namespace hybridnet::dse {

struct ParetoOptions {
  std::string db, study, objectives;
  bool json = false, csv = false;
};

void run_pareto(const ParetoOptions& o) {
  if (o.json && o.csv) throw ConfigError("--json and --csv exclude each other");
  const auto objectives = o.objectives.empty()
                              ? std::vector<search::Objective>{}
                              : search::parse_objectives(o.objectives, "--objectives");
  auto store = open_store(o.db, /*read_only=*/true);
  const auto study = require_study(*store, o.study, o.db);
  const auto objs = objectives.empty() ? search::study_objectives(study) : objectives;
  const auto trials = store->trials(study.id);
  const auto front = search::pareto_trials(trials, objs);
  if (o.json) {
    nlohmann::json out = {{"study", study.name},
                          {"objectives", search::to_string(objs)},
                          {"front", nlohmann::json::array()}};
    for (const auto& t : front) out["front"].push_back(search::trial_summary(t));
    std::cout << out.dump(2) << "\n";
  } else if (o.csv) {
    std::cout << search::trials_csv(front);
  } else {
    int done = 0;
    for (const auto& t : trials) done += t.state == db::TrialState::kDone;
    std::printf("Pareto front of study %s (%s): %s\n%s", study.name.c_str(),
                search::to_string(objs).c_str(),
                search::front_count(front, done, "finished trials").c_str(),
                trial_table(front).c_str());
  }
}

void setup_pareto(CLI::App& app) {
  auto opt = std::make_shared<ParetoOptions>();
  auto* sub = app.add_subcommand(
      "pareto", "Pareto front of a study's finished trials (networks with early exits: one point "
                "per exit threshold)");
  sub->add_option("--db", opt->db, kDbHelp)->required();
  sub->add_option("--study", opt->study, "Study (default: the store's only study)");
  sub->add_option("--objectives", opt->objectives,
                  "Comma list of name:max|min over accuracy, top5, energy, memory, flops, ee_fp, "
                  "mc_fp, ee_xnor, mc_xnor (default: the study's)");
  sub->add_flag("--json", opt->json,
                "Print {\"study\", \"objectives\", \"front\": [...]}; a network with early "
                "exits has one entry per exit threshold, with \"thresholds\" and \"point\"");
  sub->add_flag("--csv", opt->csv, "Print the front as CSV");
  sub->callback([opt] { run_pareto(*opt); });
}

}  // namespace hybridnet::dse
