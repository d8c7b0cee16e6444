// `hybridnet pareto`: the Pareto front of a study's finished trials over chosen objectives.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "models/error.h"
#include "search/front_hypervolume.h"
#include "search/latency.h"
#include "search/results.h"

namespace hybridnet::dse {

struct ParetoOptions {
  std::string db, study, objectives;
  bool json = false, csv = false;
  bool include_stopped = false;
};

void run_pareto(const ParetoOptions& o) {
  if (o.json && o.csv) throw ConfigError("--json and --csv exclude each other");
  const auto objectives = o.objectives.empty()
                              ? std::vector<search::Objective>{}
                              : search::parse_objectives(o.objectives, "--objectives");
  auto store = open_store(o.db, /*read_only=*/true);
  const auto study = require_study(*store, o.study, o.db);
  const auto objs = objectives.empty() ? search::study_objectives(study) : objectives;
  auto trials = store->trials(study.id);
  search::with_rung_accuracy(trials, store->rungs(study.id));
  const auto front = search::pareto_trials(trials, objs, o.include_stopped);
  const auto hv = search::front_hypervolume(front, objs);
  // How well the cost model's predicted energy ranks the measured latency (latency objective).
  struct {
    double rho = 0;
    int trials = 0;
  } rank;
  std::vector<double> energy, latency;
  for (const auto& t : trials)
    if (t.state == db::TrialState::kDone && t.objectives.count("latency_ms") &&
        t.objectives.count("energy_pj")) {
      energy.push_back(t.objectives.at("energy_pj"));
      latency.push_back(t.objectives.at("latency_ms"));
    }
  rank.rho = search::spearman_rho(energy, latency);
  rank.trials = std::isfinite(rank.rho) ? int(energy.size()) : 0;
  if (o.json) {
    nlohmann::json out = {{"study", study.name},
                          {"objectives", search::to_string(objs)},
                          {"front", nlohmann::json::array()}};
    if (rank.trials >= 2)
      out["energy_latency_spearman"] = {{"rho", rank.rho}, {"trials", rank.trials}};
    if (hv) {
      nlohmann::json reference;
      for (size_t j = 0; j < objs.size(); ++j) reference[objs[j].name] = hv->reference[j];
      out["hypervolume"] = {
          {"normalized", hv->normalized}, {"value", hv->value}, {"reference", reference}};
    }
    for (const auto& t : front) out["front"].push_back(search::trial_summary(t));
    std::cout << out.dump(2) << "\n";
  } else if (o.csv) {
    std::cout << search::trials_csv(front);
  } else {
    int done = 0;
    for (const auto& t : trials)
      done += t.state == db::TrialState::kDone ||
              (o.include_stopped && t.state == db::TrialState::kStopped);
    std::printf("Pareto front of study %s (%s): %s\n%s", study.name.c_str(),
                search::to_string(objs).c_str(),
                search::front_count(front, done,
                                    o.include_stopped ? "finished or stopped trials"
                                                      : "finished trials")
                    .c_str(),
                trial_table(front).c_str());
    if (hv) {
      std::string reference;
      for (size_t j = 0; j < objs.size(); ++j) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s%s %.4g %s", j ? ", " : "", objs[j].name.c_str(),
                      hv->reference[j], objs[j].unit().c_str());
        reference += buf;
      }
      std::printf("Hypervolume %.4f of the box from the reference point (%s) to the ideal one\n",
                  hv->normalized, reference.c_str());
    }
    if (rank.trials >= 2)
      std::printf(
          "Predicted energy ranks measured latency with Spearman rho %.3f over %d "
          "trials\n",
          rank.rho, rank.trials);
  }
}

void setup_pareto(CLI::App& app) {
  auto opt = std::make_shared<ParetoOptions>();
  auto* sub = app.add_subcommand(
      "pareto",
      "Pareto front of a study's finished trials (networks with early exits: one point "
      "per exit threshold)");
  sub->add_option("--db", opt->db, kDbHelp)->required();
  sub->add_option("--study", opt->study, "Study (default: the store's only study)");
  sub->add_flag("--include-stopped", opt->include_stopped,
                "Successive halving: also the trials stopped at a rung, at the (validation) "
                "accuracy they had there");
  std::string names;
  for (const auto& n : search::objective_names()) names += (names.empty() ? "" : ", ") + n;
  sub->add_option("--objectives", opt->objectives,
                  "Comma list of name:max|min over " + names +
                      " (latency: measured when the study's space lists it; default: the "
                      "study's objectives)");
  sub->add_flag("--json", opt->json,
                "Print {\"study\", \"objectives\", \"front\": [...]}; a network with early "
                "exits has one entry per exit threshold, with \"thresholds\" and \"point\"");
  sub->add_flag("--csv", opt->csv, "Print the front as CSV");
  sub->callback([opt] { run_pareto(*opt); });
}

}  // namespace hybridnet::dse
