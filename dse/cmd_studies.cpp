// `hybridnet studies`: the studies of a store with their trial counts.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "search/progress.h"

namespace hybridnet::dse {

struct StudiesOptions {
  std::string db;
  bool json = false;
};

void run_studies(const StudiesOptions& o) {
  auto store = open_store(o.db, /*read_only=*/true);
  nlohmann::json out = nlohmann::json::array();
  if (!o.json) std::printf("%-24s %6s %6s %7s %7s\n", "study", "trials", "done", "failed", "to run");
  for (const auto& s : store->studies()) {
    const auto st = search::study_status(store->trials(s.id), 1);
    out.push_back({{"study", s.name}, {"id", s.id}, {"trials", st.total}, {"done", st.done},
                   {"failed", st.failed}, {"to_run", st.pending + st.interrupted + st.running}});
    if (!o.json)
      std::printf("%-24s %6d %6d %7d %7d\n", s.name.c_str(), st.total, st.done, st.failed,
                  st.pending + st.interrupted + st.running);
  }
  if (o.json) std::cout << out.dump(2) << "\n";
}

void setup_studies(CLI::App& app) {
  auto opt = std::make_shared<StudiesOptions>();
  auto* sub = app.add_subcommand("studies", "List the studies of a store");
  sub->add_option("--db", opt->db, kDbHelp)->required();
  sub->add_flag("--json", opt->json, "Print JSON");
  sub->callback([opt] { run_studies(*opt); });
}

}  // namespace hybridnet::dse
