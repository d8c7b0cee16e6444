// Successive halving's bookkeeping without training: the scheduler and the worker pool on a real
// (temporary) SQLite store, with a fake runner that "trains" a trial to its assignment by
// writing epoch rows and stops it at the rung with an accuracy read from hand-made curves.
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "db/store.h"
#include "search/halving_replay.h"
#include "search/scheduler.h"
#include "search/successive_halving.h"
#include "search/worker_pool.h"
#include "tests/support.h"

using namespace hybridnet;
using namespace hybridnet::search;
using nlohmann::json;

namespace {

constexpr int kBudget = 9;

SearchStrategy halving(PromotionRule rule = PromotionRule::kHypervolume) {
  SearchStrategy s;
  s.strategy = Strategy::kSuccessiveHalving;
  s.rungs = {1, 3, kBudget};
  s.eta = 3;
  s.promotion = rule;
  return s;
}

const std::vector<Objective> kObjectives = {{"accuracy", true}, {"energy", false}};

int64_t add_trial(db::Store& store, int64_t study, const std::string& key, double energy_pj) {
  db::NewTrial t;
  t.key = key;
  t.family = "fp";
  t.params = {{"key", key}};
  t.plan = {{"arch", "resnet8"}};
  t.plan_hash = "hash-" + key;
  t.config = {{"train", {{"epochs", kBudget}}}};
  // The exact costs, known before training; the FP ratio makes the hypervolume's reference.
  t.objectives = {{"energy_pj", energy_pj}, {"ee_fp", 10000.0 / energy_pj}};
  return store.add_trial(study, t).first;
}

// Trains by writing epoch rows: a trial's accuracy after e epochs is its quality plus e / 1000
// (the order of the candidates never changes with the budget).
class CurveRunner : public TrialRunner {
 public:
  CurveRunner(db::Store& store, std::map<int64_t, double> quality)
      : store_(store), quality_(std::move(quality)) {}

  TrialOutcome run(const Assignment& a, const StopReason&) override {
    const auto& t = a.trial;
    const int until = a.epochs > 0 ? a.epochs : kBudget;
    {
      std::lock_guard<std::mutex> lock(mutex);
      log.push_back({t.id, t.rung, a.epochs});
    }
    for (int e = t.epochs_done + 1; e <= until; ++e) {
      db::EpochRow row;
      row.epoch = e;
      row.val_accuracy = accuracy(t.id, e);
      store_.add_epoch(t.lease(), row);
    }
    if (a.epochs > 0) {
      store_.stop_at_rung(t.lease(), until, accuracy(t.id, until));
      return TrialOutcome::kStopped;
    }
    store_.finish_trial(t.lease(), {{"accuracy", accuracy(t.id, until)}});
    return TrialOutcome::kDone;
  }
  double accuracy(int64_t id, int epochs) const { return quality_.at(id) + epochs / 1000.0; }

  struct Run {
    int64_t trial;
    int rung, epochs;
    bool operator==(const Run& o) const {
      return trial == o.trial && rung == o.rung && epochs == o.epochs;
    }
  };
  std::mutex mutex;
  std::vector<Run> log;

 private:
  db::Store& store_;
  std::map<int64_t, double> quality_;
};

std::ostream& operator<<(std::ostream& os, const CurveRunner::Run& r) {
  return os << "#" << r.trial << "@r" << r.rung << "/" << r.epochs;
}

// Nine trials of equal cost, t1..t9, whose qualities are worked through by hand below.
std::pair<std::vector<int64_t>, std::map<int64_t, double>> add_hand_trials(db::Store& store,
                                                                           int64_t study) {
  const std::vector<double> quality = {0.50, 0.60, 0.55, 0.80, 0.40, 0.70, 0.65, 0.30, 0.90};
  std::vector<int64_t> id;
  std::map<int64_t, double> by_id;
  for (size_t i = 0; i < quality.size(); ++i) {
    id.push_back(add_trial(store, study, "t" + std::to_string(i + 1), 1000));
    by_id[id.back()] = quality[i];
  }
  return {id, by_id};
}

WorkerPoolOptions one_job() {
  WorkerPoolOptions o;
  o.worker = "host:1:1";
  o.jobs = 1;
  o.idle_wait = std::chrono::milliseconds(20);
  return o;
}

}  // namespace

TEST_CASE("successive halving: rungs and promotions on hand-made curves, worked by hand",
          "[search][halving]") {
  const auto rule = GENERATE(PromotionRule::kHypervolume, PromotionRule::kCrowding);
  auto store = db::open_store((test::fresh_temp_dir("halving_hand") / "db.sqlite").string(),
                              db::OpenMode::kReadWrite);
  const int64_t study = store->open_study("s", json::object());
  // Equal costs: promotion ranks on accuracy alone, so the order can be worked by hand.
  const auto hand = add_hand_trials(*store, study);
  const auto& id = hand.first;
  const auto& by_id = hand.second;
  SuccessiveHalvingScheduler scheduler(*store, study, 120, halving(rule), kObjectives);
  CurveRunner runner(*store, by_id);
  const auto counts = run_workers(scheduler, runner, one_job());

  // By hand: new candidates first, so all nine reach rung 0; then the best floor(9/3) = 3 (t9,
  // t4, t6) go on and train to rung 1 in claim order; then floor(3/3) = 1 of them, t9, goes to
  // the full budget.
  using R = CurveRunner::Run;
  const auto t = [&](int n) { return id[n - 1]; };
  const std::vector<R> expected = {
      {t(1), 0, 1}, {t(2), 0, 1}, {t(3), 0, 1}, {t(4), 0, 1}, {t(5), 0, 1}, {t(6), 0, 1},
      {t(7), 0, 1}, {t(8), 0, 1}, {t(9), 0, 1}, {t(4), 1, 3}, {t(6), 1, 3}, {t(9), 1, 3},
      {t(9), 2, 0}};
  CHECK(runner.log == expected);
  CHECK(counts.done == 1);
  CHECK(counts.stopped == 12);

  std::map<int64_t, db::TrialRecord> trials;
  for (auto& r : store->trials(study)) trials[r.id] = r;
  CHECK(trials[t(9)].state == db::TrialState::kDone);
  for (int n : {1, 2, 3, 5, 7, 8}) {
    CHECK(trials[t(n)].state == db::TrialState::kStopped);
    CHECK(trials[t(n)].rung == 0);
  }
  for (int n : {4, 6}) {
    CHECK(trials[t(n)].state == db::TrialState::kStopped);
    CHECK(trials[t(n)].rung == 1);
  }
  // Epochs: 9 x 1 at rung 0, 3 x 2 more at rung 1, 6 more to the budget = 21 of 81.
  int spent = 0;
  for (const auto& [k, r] : trials) spent += r.epochs_done;
  CHECK(spent == 21);
  // The rung rows: accuracy at the rung, promoted flags.
  int promoted = 0;
  for (const auto& r : store->rungs(study)) {
    CHECK(r.accuracy == Approx(by_id.at(r.trial_id) + r.epochs / 1000.0));
    promoted += r.promoted;
  }
  CHECK(promoted == 4);  // t4 t6 t9 from rung 0, t9 from rung 1
}

TEST_CASE("successive halving: exact costs let a cheap candidate on although less accurate",
          "[search][halving]") {
  auto store = db::open_store((test::fresh_temp_dir("halving_costs") / "db.sqlite").string(),
                              db::OpenMode::kReadWrite);
  const int64_t study = store->open_study("s", json::object());
  // Six reach rung 0: a (0.90, 1000 pJ) dominates b (0.85, 1000 pJ); c (0.60, 100 pJ) is on
  // the front by its cost. floor(6/3) = 2 go on: a and c (rank 0), not the more accurate b.
  const int64_t a = add_trial(*store, study, "a", 1000), b = add_trial(*store, study, "b", 1000),
                c = add_trial(*store, study, "c", 100);
  const int64_t d = add_trial(*store, study, "d", 1000), e = add_trial(*store, study, "e", 1000),
                f = add_trial(*store, study, "f", 1000);
  SuccessiveHalvingScheduler scheduler(*store, study, 120, halving(), kObjectives);
  CurveRunner runner(*store, {{a, 0.90}, {b, 0.85}, {c, 0.60}, {d, 0.2}, {e, 0.3}, {f, 0.25}});
  run_workers(scheduler, runner, one_job());
  std::set<int64_t> went_on;
  for (const auto& r : store->rungs(study))
    if (r.rung == 0 && r.promoted) went_on.insert(r.trial_id);
  CHECK(went_on == std::set<int64_t>{a, c});
}

TEST_CASE("successive halving: two processes on one study run each rung of a trial once",
          "[search][halving]") {
  const auto path = (test::fresh_temp_dir("halving_two") / "db.sqlite").string();
  auto setup = db::open_store(path, db::OpenMode::kReadWrite);
  const int64_t study = setup->open_study("s", json::object());
  std::map<int64_t, double> quality;
  for (int i = 0; i < 27; ++i)
    quality[add_trial(*setup, study, "t" + std::to_string(i), 500 + 37 * (i % 7))] =
        0.3 + 0.6 * ((i * 7919) % 27) / 27.0;
  // Two "processes": their own connections, schedulers and pools (two jobs each), at once.
  std::vector<CurveRunner::Run> all;
  std::mutex all_mutex;
  auto process = [&](int p) {
    auto store = db::open_store(path, db::OpenMode::kReadWrite);
    SuccessiveHalvingScheduler scheduler(*store, study, 120, halving(), kObjectives);
    CurveRunner runner(*store, quality);
    auto o = one_job();
    o.worker = "host:" + std::to_string(100 + p) + ":1";
    o.jobs = 2;
    // As the sweep does: wait while trials still run (they may promote others).
    o.when_idle = [&] {
      if (scheduler.promote() > 0) return IdleAction::kRetry;
      for (const auto& t : store->trials(study))
        if (t.state == db::TrialState::kRunning) return IdleAction::kWait;
      return IdleAction::kFinish;
    };
    run_workers(scheduler, runner, o);
    std::lock_guard<std::mutex> lock(all_mutex);
    all.insert(all.end(), runner.log.begin(), runner.log.end());
  };
  std::thread p0(process, 0), p1(process, 1);
  p0.join();
  p1.join();
  std::set<std::pair<int64_t, int>> seen;
  for (const auto& r : all) {
    INFO(r);
    CHECK(seen.insert({r.trial, r.rung}).second);  // no trial ran a rung twice
  }
  int done = 0;
  for (const auto& t : setup->trials(study)) {
    CHECK((t.state == db::TrialState::kDone || t.state == db::TrialState::kStopped));
    done += t.state == db::TrialState::kDone;
  }
  CHECK(done == 27 / 9);  // floor(n / eta^2) reach the full budget
  // Every rung's promotions are those of synchronous successive halving, floor(n / eta), and
  // every promoted trial ran the next rung exactly once.
  std::map<int, int> reached, went_on;
  for (const auto& r : setup->rungs(study)) {
    ++reached[r.rung];
    went_on[r.rung] += r.promoted;
  }
  CHECK(reached[0] == 27);
  CHECK(went_on[0] == 9);
  CHECK(reached[1] == went_on[0]);
  CHECK(went_on[1] == 3);
}

TEST_CASE("successive halving replayed on a grid's stored curves trains the same trials fully",
          "[search][halving]") {
  // The hand-worked search above, as a grid that trained every trial fully would replay it.
  auto store = db::open_store((test::fresh_temp_dir("halving_replay") / "db.sqlite").string(),
                              db::OpenMode::kReadWrite);
  const int64_t study = store->open_study("grid", json::object());
  const auto hand = add_hand_trials(*store, study);
  const auto& id = hand.first;
  const auto& by_id = hand.second;
  GridScheduler grid(*store, study, 120);
  struct FullRunner : CurveRunner {
    using CurveRunner::CurveRunner;
    TrialOutcome run(const Assignment& a, const StopReason& s) override {
      return CurveRunner::run({a.trial, 0}, s);
    }
  } full(*store, by_id);
  run_workers(grid, full, one_job());
  const auto trials = store->trials(study);
  std::map<int64_t, std::vector<db::EpochRow>> curves;
  for (const auto& t : trials) curves[t.id] = store->epochs(t.id);
  REQUIRE(curves.at(id[0]).size() == kBudget);

  const auto replay = replay_successive_halving(
      trials, curves, halving(), kObjectives,
      (test::fresh_temp_dir("halving_replay_scratch") / "scratch").string());
  std::set<int64_t> done;
  for (const auto& t : replay.trials)
    if (t.state == db::TrialState::kDone) done.insert(t.id);
  CHECK(done == std::set<int64_t>{id[8]});  // t9, as worked by hand above
  CHECK(replay.epochs == 21);
  for (const auto& t : replay.trials) {
    INFO("trial " << t.id);
    // A stopped trial shows its accuracy at its rung; a done one its stored final accuracy.
    const int epochs = t.state == db::TrialState::kDone ? kBudget : t.epochs_done;
    CHECK(t.objective("accuracy") == Approx(by_id.at(t.id) + epochs / 1000.0));
  }
  // A study that is not fully trained cannot be replayed.
  const int64_t other = store->open_study("partial", json::object());
  add_trial(*store, other, "x", 1000);
  CHECK_THROWS_WITH(replay_successive_halving(store->trials(other), {}, halving(), kObjectives,
                                              (test::fresh_temp_dir("halving_replay_x") / "s")
                                                  .string()),
                    Catch::Contains("is not fully trained"));
}
