// The sweep's scheduling seam without training: GridScheduler and the worker pool on a real
// (temporary) SQLite store, with a fake trial runner that records what it was given and finishes,
// fails, interrupts or loses trials as a test asks.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "db/store.h"
#include "models/error.h"
#include "search/scheduler.h"
#include "search/worker_pool.h"
#include "tests/support.h"

using namespace hybridnet;
using namespace hybridnet::search;
using nlohmann::json;

namespace {

struct Fixture {
  std::unique_ptr<db::Store> store;
  int64_t study = 0;
  explicit Fixture(const std::string& name) {
    store = db::open_store((test::fresh_temp_dir("scheduler_" + name) / "db.sqlite").string(),
                           db::OpenMode::kReadWrite);
    study = store->open_study("s", json::object());
  }
  int64_t add(const std::string& key, int priority = 0) {
    db::NewTrial t;
    t.key = key;
    t.family = "fp";
    t.params = json::object();
    t.plan = {{"arch", "resnet8"}, {"layers", json::array()}};
    t.plan_hash = "hash-" + key;
    t.config = {{"train", {{"epochs", 2}}}};
    t.priority = priority;
    return store->add_trial(study, t).first;
  }
  db::TrialState state(int64_t id) {
    for (const auto& t : store->trials(study))
      if (t.id == id) return t.state;
    throw std::runtime_error("no trial");
  }
};

// What the fake runner does with a trial (default: finish it after `work`).
enum class Act { kFinish, kFail, kLose, kWaitForStop, kStorageError };

class FakeRunner : public TrialRunner {
 public:
  explicit FakeRunner(db::Store& store, std::chrono::milliseconds work = {})
      : store_(store), work_(work) {}
  std::map<int64_t, Act> acts;
  std::function<void(const Assignment&)> on_start;

  TrialOutcome run(const Assignment& a, const StopReason& stop) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      order.push_back(a.trial.id);
      ++runs[a.trial.id];
    }
    const int now = ++concurrent_;
    int seen = max_concurrent.load();
    while (now > seen && !max_concurrent.compare_exchange_weak(seen, now)) {
    }
    if (on_start) on_start(a);
    std::this_thread::sleep_for(work_);
    const Act act = acts.count(a.trial.id) ? acts.at(a.trial.id) : Act::kFinish;
    TrialOutcome outcome = TrialOutcome::kDone;
    switch (act) {
      case Act::kFinish:
        store_.finish_trial(a.trial.lease(), {{"accuracy", 0.5}}, {});
        break;
      case Act::kFail:
        store_.fail_trial(a.trial.lease(), "diverged");
        outcome = TrialOutcome::kFailed;
        break;
      case Act::kLose:
        outcome = TrialOutcome::kLost;
        break;
      case Act::kWaitForStop: {
        // Bounded, so that a pool that never stops fails the test instead of hanging it.
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (stop().empty() && !(stop_timed_out = std::chrono::steady_clock::now() > until))
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
        store_.interrupt_trial(a.trial.lease());
        outcome = TrialOutcome::kInterrupted;
        break;
      case Act::kStorageError:
        --concurrent_;
        throw StorageError("db.sqlite: disk I/O error");
    }
    --concurrent_;
    return outcome;
  }

  std::mutex mutex_;
  std::vector<int64_t> order;
  std::map<int64_t, int> runs;
  std::atomic<int> max_concurrent{0};
  std::atomic<bool> stop_timed_out{false};

 private:
  db::Store& store_;
  std::chrono::milliseconds work_;
  std::atomic<int> concurrent_{0};
};

WorkerPoolOptions pool_options(int jobs) {
  WorkerPoolOptions o;
  o.worker = "host:1:1";
  o.jobs = jobs;
  o.idle_wait = std::chrono::milliseconds(20);
  return o;
}

}  // namespace

TEST_CASE("scheduler: grid runs every trial once to its full budget, highest priority first",
          "[search][scheduler]") {
  Fixture f("grid_order");
  const auto a = f.add("a"), b = f.add("b", 10), c = f.add("c"), d = f.add("d", 5);
  GridScheduler scheduler(*f.store, f.study, 120);
  FakeRunner runner(*f.store);
  std::vector<int> budgets;
  runner.on_start = [&](const Assignment& x) { budgets.push_back(x.epochs); };
  const auto counts = run_workers(scheduler, runner, pool_options(1));
  CHECK(runner.order == std::vector<int64_t>{b, d, a, c});  // priority, then age
  CHECK(budgets == std::vector<int>{0, 0, 0, 0});           // 0: the full budget
  CHECK(counts.started == 4);
  CHECK(counts.done == 4);
  CHECK_FALSE(counts.limit_hit);
  for (auto id : {a, b, c, d}) CHECK(f.state(id) == db::TrialState::kDone);
}

TEST_CASE("scheduler: two jobs run two trials at once, never more, each once",
          "[search][scheduler]") {
  Fixture f("two_jobs");
  for (int i = 0; i < 6; ++i) f.add("t" + std::to_string(i));
  GridScheduler scheduler(*f.store, f.study, 120);
  FakeRunner runner(*f.store, std::chrono::milliseconds(60));
  const auto counts = run_workers(scheduler, runner, pool_options(2));
  CHECK(counts.done == 6);
  CHECK(runner.max_concurrent == 2);
  REQUIRE(runner.runs.size() == 6);
  for (const auto& [id, n] : runner.runs) CHECK(n == 1);
}

TEST_CASE("scheduler: --max-trials starts at most N and says the limit stopped it",
          "[search][scheduler]") {
  Fixture f("max_trials");
  const auto a = f.add("a"), b = f.add("b"), c = f.add("c");
  GridScheduler scheduler(*f.store, f.study, 120);
  FakeRunner runner(*f.store);
  auto o = pool_options(2);
  o.max_trials = 2;
  const auto counts = run_workers(scheduler, runner, o);
  CHECK(counts.started == 2);
  CHECK(counts.limit_hit);
  CHECK(f.state(a) == db::TrialState::kDone);
  CHECK(f.state(b) == db::TrialState::kDone);
  CHECK(f.state(c) == db::TrialState::kPending);
}

TEST_CASE(
    "scheduler: a stop interrupts the running trial, starts no other, and a later pool "
    "resumes it",
    "[search][scheduler]") {
  Fixture f("stop");
  const auto a = f.add("a"), b = f.add("b");
  GridScheduler scheduler(*f.store, f.study, 120);
  FakeRunner runner(*f.store);
  runner.acts[a] = Act::kWaitForStop;
  std::atomic<bool> stop{false};
  runner.on_start = [&](const Assignment&) { stop = true; };
  auto o = pool_options(1);
  o.stop = [&]() -> std::string { return stop ? "stop requested" : ""; };
  auto counts = run_workers(scheduler, runner, o);
  CHECK_FALSE(runner.stop_timed_out);
  CHECK(counts.started == 1);
  CHECK(counts.interrupted == 1);
  CHECK(f.state(a) == db::TrialState::kInterrupted);
  CHECK(f.state(b) == db::TrialState::kPending);

  stop = false;
  runner.acts.clear();
  runner.on_start = nullptr;
  counts = run_workers(scheduler, runner, o);
  CHECK(counts.done == 2);
  CHECK(runner.order == std::vector<int64_t>{a, a, b});  // interrupted and older: claimed first
}

TEST_CASE("scheduler: failed and lost trials are counted apart and the sweep goes on",
          "[search][scheduler]") {
  Fixture f("outcomes");
  const auto a = f.add("a"), b = f.add("b"), c = f.add("c");
  GridScheduler scheduler(*f.store, f.study, 120);
  FakeRunner runner(*f.store);
  runner.acts[a] = Act::kFail;
  runner.acts[b] = Act::kLose;
  const auto counts = run_workers(scheduler, runner, pool_options(1));
  CHECK(counts.started == 3);
  CHECK(counts.failed == 1);
  CHECK(counts.lost == 1);
  CHECK(counts.done == 1);
  CHECK(f.state(a) == db::TrialState::kFailed);
  CHECK(f.state(b) == db::TrialState::kRunning);  // the fake "other worker" holds it
  CHECK(f.state(c) == db::TrialState::kDone);
}

TEST_CASE("scheduler: a store error stops the other workers at their next step and is rethrown",
          "[search][scheduler]") {
  Fixture f("store_error");
  const auto a = f.add("a", 1), b = f.add("b"), c = f.add("c");
  GridScheduler scheduler(*f.store, f.study, 120);
  FakeRunner runner(*f.store);
  runner.acts[a] = Act::kWaitForStop;  // running when the other worker's store fails
  runner.acts[b] = Act::kStorageError;
  runner.on_start = [&](const Assignment& x) {  // b starts only once a runs
    if (x.trial.id == b) std::this_thread::sleep_for(std::chrono::milliseconds(30));
  };
  CHECK_THROWS_AS(run_workers(scheduler, runner, pool_options(2)), StorageError);
  CHECK_FALSE(runner.stop_timed_out);
  CHECK(f.state(a) == db::TrialState::kInterrupted);
  CHECK(f.state(c) == db::TrialState::kPending);  // nothing new started after the error
}

TEST_CASE("scheduler: work that appears while idle (analysis families) is run, and waiting ends",
          "[search][scheduler]") {
  Fixture f("idle");
  const auto baseline = f.add("baseline", 10);
  GridScheduler scheduler(*f.store, f.study, 120);
  FakeRunner runner(*f.store);
  int idle_calls = 0;
  auto o = pool_options(1);
  o.when_idle = [&] {
    ++idle_calls;
    if (idle_calls == 1) return IdleAction::kWait;  // e.g. a baseline training elsewhere
    if (idle_calls == 2) {
      f.add("pca-1");
      f.add("pca-2");
      return IdleAction::kRetry;
    }
    return IdleAction::kFinish;
  };
  const auto counts = run_workers(scheduler, runner, o);
  CHECK(idle_calls == 3);
  CHECK(counts.done == 3);
  CHECK(runner.order.front() == baseline);
}

TEST_CASE("scheduler: a trial another live worker holds is not run", "[search][scheduler]") {
  Fixture f("held");
  const auto a = f.add("a"), b = f.add("b");
  auto held = f.store->claim_trial(f.study, "other:2:2", 120);
  REQUIRE(held);
  REQUIRE(held->id == a);
  GridScheduler scheduler(*f.store, f.study, 120);
  FakeRunner runner(*f.store);
  const auto counts = run_workers(scheduler, runner, pool_options(2));
  CHECK(counts.started == 1);
  CHECK(runner.order == std::vector<int64_t>{b});
  CHECK(f.state(a) == db::TrialState::kRunning);
}
