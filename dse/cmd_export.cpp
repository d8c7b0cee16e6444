// `hybridnet export`: a finished trial as a self-describing directory for deployment.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "search/export.h"
#include "search/results.h"

namespace hybridnet::dse {

struct ExportOptions {
  std::string db, runs, out;
  int64_t trial = 0;
  double threshold = -1;
  bool force = false;
};

void run_export(const ExportOptions& o) {
  auto store = open_store(o.db, /*read_only=*/true);
  auto t = require_trial(*store, o.trial, o.db);
  if (o.threshold >= 0) t = search::at_point(t, search::find_point(t, o.threshold));
  std::string study;
  for (const auto& s : store->studies())
    if (s.id == t.study_id) study = s.name;
  search::export_trial(t, study, search::RunFiles::for_store(*store, o.runs), o.out,
                       o.force);
  const std::string point = search::point_label(t);
  std::printf("exported trial %lld%s (%s, plan %s, test accuracy %.4f) to %s\n", (long long)t.id,
              point.empty() ? "" : (" at " + point).c_str(), t.family.c_str(), t.plan_hash.c_str(),
              t.objective("accuracy"), o.out.c_str());
}

void setup_export(CLI::App& app) {
  auto opt = std::make_shared<ExportOptions>();
  auto* sub = app.add_subcommand(
      "export", "Write a finished trial (plan, weights, metrics, cost, README) to a directory");
  sub->add_option("--db", opt->db, kDbHelp)->required();
  sub->add_option("--runs", opt->runs, kRunsHelp);
  sub->add_option("--trial", opt->trial, "Trial id (see `hybridnet trials`)")->required();
  sub->add_option("--out", opt->out, "Output directory (new or empty)")->required();
  sub->add_flag("--force", opt->force,
                "Export into a non-empty --out: replace the export's files there, keep the rest");
  sub->add_option("--threshold", opt->threshold,
                  "A network with early exits: the operating point (exit threshold, as in "
                  "`pareto`) to deploy; trial.json records it");
  sub->footer("Check an export with: hybridnet evaluate --export DIR");
  sub->callback([opt] { run_export(*opt); });
}

}  // namespace hybridnet::dse
