// `hybridnet report`: a study's results as one self-contained HTML page (charts, precision map,
// learning curves, tables) that reads offline and can be mailed or archived.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>

#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "models/error.h"
#include "models/atomic_file.h"
#include "search/report.h"
#include "search/results.h"

namespace hybridnet::dse {

struct ReportOptions {
  std::string db, study, out, objectives;
};

namespace {
std::string now_text() {
  char buf[64];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M %Z", std::localtime(&t));
  return buf;
}
}  // namespace

void run_report(const ReportOptions& o) {
  const auto objectives = o.objectives.empty()
                              ? std::vector<search::Objective>{}
                              : search::parse_objectives(o.objectives, "--objectives");
  auto store = open_store(o.db, /*read_only=*/true);
  const auto study = require_study(*store, o.study, o.db);
  search::ReportInput in;
  in.study = study;
  in.source = o.db;
  in.objectives = objectives.empty() ? search::study_objectives(study) : objectives;
  in.generated_at = now_text();
  auto trials = store->trials(study.id);
  search::with_rung_accuracy(trials, store->rungs(study.id));  // stopped: accuracy at the rung
  for (auto& t : trials) {
    const int64_t id = t.id;
    in.trials.push_back({std::move(t), store->layers(id), store->epochs(id)});
  }
  const auto report = search::render_report(in);
  write_file_atomic(o.out, report.html);
  std::printf("wrote %s: study %s, %zu trials (%zu done), Pareto front of %zu, %zu charts\n",
              o.out.c_str(), study.name.c_str(), report.trials, report.done, report.front,
              report.charts);
}

void setup_report(CLI::App& app) {
  auto opt = std::make_shared<ReportOptions>();
  auto* sub = app.add_subcommand(
      "report",
      "Write a study's results as one self-contained HTML page: accuracy vs energy and vs "
      "memory (front ringed, families coloured), per-layer precision of the front, learning "
      "curves, sortable trial tables");
  sub->add_option("--db", opt->db, kDbHelp)->required();
  sub->add_option("--study", opt->study, "Study (default: the store's only study)");
  sub->add_option("--out", opt->out, "HTML file to write (replaced atomically)")->required();
  sub->add_option("--objectives", opt->objectives,
                  "The front's objectives, as for `hybridnet pareto` (default: the study's)");
  sub->callback([opt] { run_report(*opt); });
}

}  // namespace hybridnet::dse
