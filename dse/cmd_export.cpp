// `hybridnet export`: a finished trial as a self-describing directory for deployment.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "search/export.h"

namespace hybridnet::dse {

struct ExportOptions {
  std::string db, out;
  int64_t trial = 0;
};

void run_export(const ExportOptions& o) {
  auto store = open_store(o.db, /*read_only=*/true);
  const auto t = require_trial(*store, o.trial, o.db);
  std::string study;
  for (const auto& s : store->studies())
    if (s.id == t.study_id) study = s.name;
  search::export_trial(t, study, o.db, o.out);
  std::printf("exported trial %lld (%s, plan %s, test accuracy %.4f) to %s\n", (long long)t.id,
              t.family.c_str(), t.plan_hash.c_str(), t.objective("accuracy"), o.out.c_str());
}

void setup_export(CLI::App& app) {
  auto opt = std::make_shared<ExportOptions>();
  auto* sub = app.add_subcommand(
      "export", "Write a finished trial (plan, weights, metrics, cost, README) to a directory");
  sub->add_option("--db", opt->db, "SQLite store")->required();
  sub->add_option("--trial", opt->trial, "Trial id (see `hybridnet trials`)")->required();
  sub->add_option("--out", opt->out, "Output directory")->required();
  sub->footer("Check an export with: hybridnet evaluate --export DIR");
  sub->callback([opt] { run_export(*opt); });
}

}  // namespace hybridnet::dse
