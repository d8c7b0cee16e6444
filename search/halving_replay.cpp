#include "search/halving_replay.h"

#include <filesystem>
#include <mutex>

#include "models/error.h"
#include "search/results.h"
#include "search/successive_halving.h"
#include "search/worker_pool.h"

namespace hybridnet::search {

namespace fs = std::filesystem;

namespace {

// "Trains" a trial of the scratch store by reading its source trial's curve.
class CurveReplay : public TrialRunner {
 public:
  CurveReplay(db::Store& store, const std::map<int64_t, const db::TrialRecord*>& source,
              const std::map<int64_t, std::vector<db::EpochRow>>& curves)
      : store_(store), source_(source), curves_(curves) {}

  TrialOutcome run(const Assignment& a, const StopReason&) override {
    const auto& t = a.trial;
    const db::TrialRecord& from = *source_.at(t.id);
    const auto& curve = curves_.at(from.id);
    const int until = a.epochs > 0 ? a.epochs : static_cast<int>(curve.size());
    for (int e = t.epochs_done + 1; e <= until; ++e) store_.add_epoch(t.lease(), curve.at(e - 1));
    if (a.epochs > 0) {
      const auto& row = curve.at(until - 1);
      store_.stop_at_rung(t.lease(), until,
                          row.val_accuracy >= 0 ? row.val_accuracy : row.test_accuracy);
      return TrialOutcome::kStopped;
    }
    store_.finish_trial(t.lease(), from.objectives, from.points);
    return TrialOutcome::kDone;
  }

 private:
  db::Store& store_;
  const std::map<int64_t, const db::TrialRecord*>& source_;
  const std::map<int64_t, std::vector<db::EpochRow>>& curves_;
};

}  // namespace

HalvingReplay replay_successive_halving(const std::vector<db::TrialRecord>& trials,
                                        const std::map<int64_t, std::vector<db::EpochRow>>& curves,
                                        const SearchStrategy& strategy,
                                        const std::vector<Objective>& objectives,
                                        const std::string& scratch_dir) {
  fs::remove_all(scratch_dir);
  auto store =
      db::open_store((fs::path(scratch_dir) / "replay.sqlite").string(), db::OpenMode::kReadWrite);
  const int64_t study = store->open_study("replay", nlohmann::json::object());
  int lowest = 0;
  for (const auto& t : trials) lowest = std::min(lowest, t.priority);
  std::map<int64_t, const db::TrialRecord*> source;  // scratch id -> the study's trial
  for (const auto& t : trials) {
    if (t.state != db::TrialState::kDone || !curves.count(t.id) || curves.at(t.id).empty())
      throw ConfigError("trial #" + std::to_string(t.id) +
                        " is not fully trained: a replay needs every trial's whole curve");
    db::NewTrial n;
    n.key = t.key;
    n.family = t.family;
    n.params = t.params;
    n.plan = t.plan;
    n.plan_hash = t.plan_hash;
    n.config = t.config;
    n.priority = t.priority;
    // Costs are known before training; measured values arrive with the finish.
    for (const char* k :
         {"energy_pj", "memory_bits", "flops", "ee_fp", "mc_fp", "ee_xnor", "mc_xnor"})
      if (t.objectives.count(k)) n.objectives[k] = t.objectives.at(k);
    source[store->add_trial(study, n).first] = &t;
  }
  SuccessiveHalvingScheduler scheduler(
      *store, study, 1e9, strategy, objectives,
      [&](const db::TrialRecord& t) { return t.priority > lowest; });
  CurveReplay runner(*store, source, curves);
  WorkerPoolOptions o;
  o.worker = "replay:1:1";
  o.jobs = 1;
  run_workers(scheduler, runner, o);

  HalvingReplay out;
  auto replayed = store->trials(study);
  with_rung_accuracy(replayed, store->rungs(study));
  for (auto& r : replayed) {
    out.epochs += r.epochs_done;
    const db::TrialRecord& from = *source.at(r.id);
    r.id = from.id;
    r.study_id = from.study_id;
    out.trials.push_back(std::move(r));
  }
  return out;
}

}  // namespace hybridnet::search
