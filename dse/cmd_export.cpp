// `hybridnet export`: a finished trial, or a training run directory, as a self-describing
// directory for deployment (ONNX model, LibTorch weights, plan, metrics, cost).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "dse/cli_common.h"
#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "models/error.h"
#include "search/export.h"
#include "search/results.h"

namespace hybridnet::dse {

struct ExportOptions {
  std::string db, runs, out, checkpoint;
  int64_t trial = 0;
  double threshold = -1;
  std::string energy_table = models::kDefaultEnergyTable;
  bool force = false;
};

// The ONNX files an export holds, for the summary line.
std::string onnx_files(const std::string& out) {
  std::string files;
  for (const char* f : {"model.onnx", "edge.onnx", "cloud.onnx"})
    if (std::filesystem::exists(std::filesystem::path(out) / f))
      files += (files.empty() ? "" : ", ") + std::string(f);
  return files;
}

void run_export(const ExportOptions& o) {
  if (o.checkpoint.empty() == o.db.empty())
    throw ConfigError("export needs --db FILE --trial ID, or --checkpoint RUN (one of them)");
  if (!o.checkpoint.empty()) {
    search::export_run(o.checkpoint, o.out, o.force, o.threshold, o.energy_table);
    std::printf("exported %s to %s (%s)\n", o.checkpoint.c_str(), o.out.c_str(),
                onnx_files(o.out).c_str());
    return;
  }
  if (o.trial <= 0) throw ConfigError("export --db needs --trial ID (see `hybridnet trials`)");
  auto store = open_store(o.db, /*read_only=*/true);
  auto t = require_trial(*store, o.trial, o.db);
  if (o.threshold >= 0) t = search::at_point(t, search::find_point(t, o.threshold));
  std::string study;
  for (const auto& s : store->studies())
    if (s.id == t.study_id) study = s.name;
  search::export_trial(t, study, search::RunFiles::for_store(*store, o.runs), o.out,
                       o.force);
  const std::string point = search::point_label(t);
  std::printf("exported trial %lld%s (%s, plan %s, test accuracy %.4f) to %s (%s)\n",
              (long long)t.id, point.empty() ? "" : (" at " + point).c_str(), t.family.c_str(),
              t.plan_hash.c_str(), t.objective("accuracy"), o.out.c_str(),
              onnx_files(o.out).c_str());
}

void setup_export(CLI::App& app) {
  auto opt = std::make_shared<ExportOptions>();
  auto* sub = app.add_subcommand(
      "export",
      "Write a trained network (ONNX model, weights, plan, metrics, cost, README) to a directory: "
      "a finished trial of a store, or a training run directory");
  sub->add_option("--db", opt->db, kDbHelp);
  sub->add_option("--runs", opt->runs, kRunsHelp);
  sub->add_option("--trial", opt->trial, "Trial id (see `hybridnet trials`), with --db");
  sub->add_option("--checkpoint", opt->checkpoint,
                  "A run directory written by `hybridnet train` (instead of --db and --trial)");
  sub->add_option("--out", opt->out, "Output directory (new or empty)")->required();
  sub->add_flag("--force", opt->force,
                "Export into a non-empty --out: replace the export's files there, keep the rest");
  sub->add_option("--threshold", opt->threshold,
                  "A network with early exits: the exit threshold to deploy (with --db, one of "
                  "the trial's operating points, as in `pareto`); trial.json and the ONNX "
                  "metadata record it");
  sub->add_option("--energy-table", opt->energy_table,
                  "With --checkpoint: the energy table of cost.json (" +
                      join(models::builtin_energy_tables()) + " or a JSON file)")
      ->capture_default_str();
  sub->footer("Check an export with: hybridnet evaluate --export DIR; run DIR/model.onnx in ONNX "
              "Runtime (README: Deploying a network)");
  sub->callback([opt] { run_export(*opt); });
}

}  // namespace hybridnet::dse
