// `hybridnet db copy`: carries studies between stores (db/study_copy.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "db/study_copy.h"
#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "models/error.h"

namespace hybridnet::dse {

struct DbCopyOptions {
  std::string from, to, study;
};

void run_db_copy(const DbCopyOptions& o) {
  if (o.from == o.to) throw ConfigError("--from and --to name the same store (" + o.from + ")");
  auto from = open_store(o.from, /*read_only=*/true);
  auto to = open_store(o.to, /*read_only=*/false);
  std::string current;
  const auto report =
      db::copy_studies(*from, *to, o.study, [&](const std::string& study, int n, int total) {
        if (study != current)
          std::fprintf(stderr, "copying study %s (%d trials)\n", study.c_str(), total);
        current = study;
        if (n == total || n % 50 == 0) std::fprintf(stderr, "  %d/%d trials\n", n, total);
      });
  std::printf(
      "copied %d stud%s from %s to %s: %d trial(s) added, %d updated, %d unchanged; %d "
      "checkpoint(s), %d artefact(s)\n",
      report.studies, report.studies == 1 ? "y" : "ies", from->location().c_str(),
      to->location().c_str(), report.added, report.updated, report.unchanged, report.checkpoints,
      report.artifacts);
}

void setup_db(CLI::App& app) {
  auto* db = app.add_subcommand("db", "Manage stores: copy studies between them");
  db->require_subcommand(1);
  auto opt = std::make_shared<DbCopyOptions>();
  auto* copy = db->add_subcommand(
      "copy",
      "Copy studies from one store to another (a cluster's PostgreSQL study into a local SQLite "
      "file for pareto, report and export offline; a local study up to a server). Trials keep "
      "their state, curves and checkpoints; running again copies only what changed.");
  copy->add_option("--from", opt->from,
                   "Store to copy from, opened read-only: a SQLite file (PATH or sqlite:PATH) "
                   "or postgresql://USER@HOST:PORT/DBNAME")
      ->required();
  copy->add_option("--to", opt->to,
                   "Store to copy into, created if missing: a SQLite file or "
                   "postgresql://USER@HOST:PORT/DBNAME (passwords from ~/.pgpass or PGPASSFILE)")
      ->required();
  copy->add_option("--study", opt->study, "Copy only this study (default: every study)");
  copy->callback([opt] { run_db_copy(*opt); });
}

}  // namespace hybridnet::dse
