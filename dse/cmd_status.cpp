// `hybridnet status`: progress of the studies of a store, read while a sweep runs elsewhere.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "dse/cli_validators.h"
#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "search/progress.h"
#include "search/sweep.h"

namespace hybridnet::dse {

struct StatusOptions {
  std::string db;
  std::string study;
  int jobs = 1;
  bool json = false;
};

void run_status(const StatusOptions& o) {
  auto store = open_store(o.db, /*read_only=*/true);
  std::vector<db::StudyRecord> studies;
  if (o.study.empty())
    studies = store->studies();
  else
    studies.push_back(require_study(*store, o.study, o.db));
  const double now = store->now();  // heartbeats are on the store's clock
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : studies) {
    const auto trials = store->trials(s.id);
    int running = 0;
    for (const auto& t : trials) running += t.state == db::TrialState::kRunning;
    const auto st = search::study_status(trials, std::max(1, std::max(running, o.jobs)));
    nlohmann::json js = {{"study", s.name},
                         {"total", st.total},
                         {"done", st.done},
                         {"running", st.running},
                         {"pending", st.pending},
                         {"failed", st.failed},
                         {"interrupted", st.interrupted},
                         {"stopped", st.stopped},
                         {"epochs_spent", st.epochs_spent},
                         {"epochs_exhaustive", st.epochs_exhaustive},
                         {"eta_seconds", st.eta_seconds},
                         {"running_trials", nlohmann::json::array()}};
    if (!o.json) std::printf("%s\n", search::format_study_line(s.name, st).c_str());
    for (const auto& t : trials) {
      if (t.state != db::TrialState::kRunning) continue;
      const auto p = search::progress_from_json(t.progress);
      const double age = now - t.heartbeat_at;
      // A process of this host that is gone (SIGKILL, a crash) still has its last heartbeat
      // in the store until a sweep takes the trial over: say so rather than show it running.
      const bool gone = search::worker_is_dead(t.worker);
      js["running_trials"].push_back({{"id", t.id},
                                      {"family", t.family},
                                      {"params", t.params},
                                      {"worker", t.worker},
                                      {"worker_gone", gone},
                                      {"heartbeat_age_seconds", age},
                                      {"progress", search::to_json(p)}});
      if (!o.json)
        std::printf("%s  [%s, heartbeat %s ago%s]\n", search::format_trial_line(t, p).c_str(),
                    t.worker.c_str(), search::format_duration(age).c_str(),
                    gone ? "; its process is gone: the next sweep resumes it" : "");
    }
    out.push_back(js);
  }
  if (o.json) std::cout << out.dump(2) << "\n";
  if (!o.json && studies.empty()) std::printf("%s holds no study yet\n", o.db.c_str());
}

void setup_status(CLI::App& app) {
  auto opt = std::make_shared<StatusOptions>();
  auto* sub = app.add_subcommand(
      "status", "Progress of the studies in a store (works while a sweep runs elsewhere)");
  sub->add_option("--db", opt->db, kDbHelp)->required();
  sub->add_option("--study", opt->study, "Only this study");
  sub->add_option("--jobs", opt->jobs, "Parallel trials assumed for the ETA")
      ->check(at_least(1))
      ->capture_default_str();
  sub->add_flag("--json", opt->json, "Print JSON");
  sub->callback([opt] { run_status(*opt); });
}

}  // namespace hybridnet::dse
