// The store contract (db/store.h), run over every backend of tests/db/store_backends.h: round
// trips, idempotent trial insertion, claims handed out once across connections, staleness on
// the store's clock, immutability of finished trials, and fenced leases: a worker that lost its
// trial writes nothing more about it.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

#include "db/store.h"
#include "models/error.h"
#include "tests/db/store_backends.h"

using namespace hybridnet;
using namespace hybridnet::db;
using nlohmann::json;
using Approx = Catch::Detail::Approx;

namespace {

NewTrial make_trial(const std::string& key, const std::string& family, json params) {
  NewTrial t;
  t.key = key;
  t.family = family;
  t.params = std::move(params);
  t.plan = {{"arch", "resnet8"}, {"layers", json::array()}};
  t.plan_hash = "hash-" + key;
  t.config = {{"train", {{"epochs", 2}}}, {"seed", 0}};
  t.objectives = {{"energy_pj", 1000.0}, {"memory_bits", 2e6}};
  t.layers = {{0, "conv1", "stem", 32, 32, 0}, {1, "layer1.0.conv1", "body", 1, 1, 0}};
  return t;
}

// A study of `n` trials "k0".. "k<n-1>", every one claimed and stopped at rung 0 (1 epoch,
// accuracy 0.5): what promotions start from.
int64_t study_stopped_at_rung_0(db::Store& store, int n) {
  const int64_t study = store.open_study("s", json::object());
  for (int i = 0; i < n; ++i)
    store.add_trial(study, make_trial("k" + std::to_string(i), "fp", {{"i", i}}));
  while (auto t = store.claim_trial(study, "w", 600)) store.stop_at_rung(t->lease(), 1, 0.5);
  return study;
}

EpochRow epoch_row(int epoch, double test_accuracy) {
  EpochRow e;
  e.epoch = epoch;
  e.test_accuracy = test_accuracy;
  return e;
}

}  // namespace

TEST_CASE("store contract: round trip of study, trials, settings, epochs, objectives, layers",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  const auto s = test::fresh_store(backend, "round_trip");
  INFO("backend " << backend);
  int64_t study = 0, a = 0;
  {
    auto store = s.connect();
    study = store->open_study("s1", {{"study", "s1"}});
    REQUIRE(store->open_study("s1", {{"study", "s1"}, {"v", 2}}) == study);
    auto [id, is_new] = store->add_trial(study, make_trial("k1", "pca", {{"delta", 1}}));
    REQUIRE(is_new);
    a = id;
    // The same network from another setting is the same trial, with both settings recorded.
    auto [id2, new2] = store->add_trial(study, make_trial("k1", "pca", {{"delta", 2}}));
    REQUIRE(id2 == a);
    REQUIRE_FALSE(new2);
    store->add_trial(study, make_trial("k1", "pca", {{"delta", 2}}));  // idempotent
    store->add_trial(study, make_trial("k2", "xnor", json::object()));
    auto claimed = store->claim_trial(study, "w1", 60);
    REQUIRE(claimed);
    REQUIRE(claimed->id == a);
    const Lease lease = claimed->lease();
    REQUIRE(lease.trial_id == a);
    REQUIRE(lease.worker == "w1");
    REQUIRE(lease.attempt == 1);
    store->heartbeat(lease, {{"epoch", 1}});
    store->add_epoch(lease, epoch_row(1, 0.5));
    store->add_epoch(lease, epoch_row(1, 0.6));  // a re-run epoch replaces the row
    store->add_epoch(lease, epoch_row(2, 0.7));
    store->finish_trial(lease, {{"accuracy", 0.7}});
  }
  // Another connection sees everything.
  auto store = s.connect();
  auto studies = store->studies();
  REQUIRE(studies.size() == 1);
  REQUIRE(studies[0].space["v"] == 2);
  auto t = store->trial(a);
  REQUIRE(t);
  REQUIRE(t->state == TrialState::kDone);
  REQUIRE(t->family == "pca");
  REQUIRE(t->params == json{{"delta", 1}});
  REQUIRE(t->settings.size() == 2);
  REQUIRE(t->settings[1].params == json{{"delta", 2}});
  REQUIRE(t->attempts == 1);
  REQUIRE(t->worker == "w1");
  REQUIRE(t->progress["epoch"] == 1);
  REQUIRE(t->objective("accuracy") == Approx(0.7));
  REQUIRE(t->objective("energy_pj") == Approx(1000.0));
  REQUIRE(std::isnan(t->objective("flops")));
  auto epochs = store->epochs(a);
  REQUIRE(epochs.size() == 2);
  REQUIRE(epochs[0].test_accuracy == Approx(0.6));
  auto layers = store->layers(a);
  REQUIRE(layers.size() == 2);
  REQUIRE(layers[1].name == "layer1.0.conv1");
  REQUIRE(layers[1].weight_bits == 1);
  REQUIRE(store->trials(study).size() == 2);
  // Unknown ids read as nothing.
  REQUIRE_FALSE(store->trial(a + 1000));
  REQUIRE(store->trials(study + 1000).empty());
  REQUIRE(store->epochs(a + 1000).empty());
}

TEST_CASE("store contract: finished trials are immutable, failures keep their reason",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  auto store = test::fresh_store(backend, "immutable").connect();
  const int64_t study = store->open_study("s", json::object());
  const int64_t a = store->add_trial(study, make_trial("a", "fp", {})).first;
  const int64_t b = store->add_trial(study, make_trial("b", "xnor", {})).first;
  const auto ta = store->claim_trial(study, "w", 60);
  REQUIRE(ta->id == a);
  store->finish_trial(ta->lease(), {{"accuracy", 0.9}});
  // Every write under the finished trial's lease is refused and changes nothing.
  REQUIRE_THROWS_AS(store->fail_trial(ta->lease(), "late"), LeaseLost);
  REQUIRE_THROWS_AS(store->interrupt_trial(ta->lease()), LeaseLost);
  REQUIRE_THROWS_AS(store->finish_trial(ta->lease(), {{"accuracy", 0.1}}), LeaseLost);
  REQUIRE(store->trial(a)->state == TrialState::kDone);
  REQUIRE(store->trial(a)->objective("accuracy") == Approx(0.9));
  const auto tb = store->claim_trial(study, "w", 60);
  REQUIRE(tb->id == b);
  store->fail_trial(tb->lease(), "training diverged: loss is nan");
  REQUIRE(store->trial(b)->failure == "training diverged: loss is nan");
  REQUIRE_FALSE(store->claim_trial(study, "w", 60));  // failed trials are not retried
  // ... until asked: retry_failed makes them claimable again (done ones stay done).
  REQUIRE(store->retry_failed(study) == 1);
  REQUIRE(store->trial(b)->state == TrialState::kInterrupted);
  REQUIRE(store->trial(b)->failure.empty());
  const auto again = store->claim_trial(study, "w", 60);
  REQUIRE(again->id == b);
  REQUIRE(again->attempts == 2);
  REQUIRE(store->retry_failed(study) == 0);
  REQUIRE(store->trial(a)->state == TrialState::kDone);
}

TEST_CASE("store contract: add_trials registers a batch in one transaction, all or none",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  auto store = test::fresh_store(backend, "batch").connect();
  const int64_t study = store->open_study("s", json::object());
  NewTrial bad = make_trial("c", "xnor", {});
  bad.layers.push_back(bad.layers.front());  // a layer index twice: the third insert fails
  REQUIRE_THROWS_AS(
      store->add_trials(study, {make_trial("a", "fp", {}), make_trial("b", "xnor", {}), bad}),
      StorageError);
  REQUIRE(store->trials(study).empty());
  const auto added =
      store->add_trials(study, {make_trial("a", "fp", {}), make_trial("b", "xnor", {}),
                                make_trial("a", "fp", {{"again", 1}})});
  REQUIRE(added.size() == 3);
  REQUIRE(added[0].second);
  REQUIRE(added[1].second);
  REQUIRE(added[2] == std::make_pair(added[0].first, false));
  REQUIRE(store->trials(study).size() == 2);
}

TEST_CASE("store contract: interrupted and stale trials are claimed again, live ones are not",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  auto store = test::fresh_store(backend, "stale").connect();
  const int64_t study = store->open_study("s", json::object());
  const int64_t a = store->add_trial(study, make_trial("a", "fp", {})).first;
  const auto first = store->claim_trial(study, "w1", 60);
  REQUIRE(first->id == a);
  REQUIRE_FALSE(store->claim_trial(study, "w2", 60));  // heartbeat fresh
  // The store's clock is the one heartbeats are on (here: this machine's).
  const double now = store->now();
  CHECK(store->trial(a)->heartbeat_at <= now);
  CHECK(now - store->trial(a)->heartbeat_at < 5);
  CHECK(std::abs(now -
                 std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                     .count()) < 5);
  // A heartbeat moves the trial's time on the store's clock: 0.3 s later it is not stale at 0.25.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  store->heartbeat(first->lease(), json::object());
  REQUIRE_FALSE(store->claim_trial(study, "w2", 0.25));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto stolen = store->claim_trial(study, "w2", 0.1);  // heartbeat older than 0.1 s: stale
  REQUIRE(stolen);
  REQUIRE(stolen->attempts == 2);
  REQUIRE(stolen->worker == "w2");
  REQUIRE_FALSE(store->release_trial(a, "w1"));  // w1 no longer holds it
  REQUIRE(store->release_trial(a, "w2"));
  REQUIRE(store->trial(a)->state == TrialState::kInterrupted);
  REQUIRE(store->claim_trial(study, "w3", 60)->id == a);
}

TEST_CASE("store contract: a lease lost to another worker fences every write of the old holder",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  const auto s = test::fresh_store(backend, "lease");
  auto one = s.connect(), two = s.connect();  // two worker processes
  const int64_t study = one->open_study("s", json::object());
  const int64_t a = one->add_trial(study, make_trial("a", "fp", {})).first;
  const auto held = one->claim_trial(study, "w1", 60);
  REQUIRE(held->id == a);
  const Lease old_lease = held->lease();
  one->add_epoch(old_lease, epoch_row(1, 0.5));
  // w1 stalls past the staleness limit; w2 takes the trial over.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto taken = two->claim_trial(study, "w2", 0.1);
  REQUIRE(taken);
  REQUIRE(taken->id == a);
  const Lease new_lease = taken->lease();
  REQUIRE(new_lease.attempt == 2);
  two->add_epoch(new_lease, epoch_row(2, 0.6));

  // w1 wakes up: each of its writes about the trial is refused, and nothing changes.
  REQUIRE_THROWS_AS(one->heartbeat(old_lease, {{"epoch", 9}}), LeaseLost);
  REQUIRE_THROWS_AS(one->add_epoch(old_lease, epoch_row(2, 0.1)), LeaseLost);
  REQUIRE_THROWS_AS(one->finish_trial(old_lease, {{"accuracy", 0.1}}), LeaseLost);
  REQUIRE_THROWS_AS(one->fail_trial(old_lease, "late"), LeaseLost);
  REQUIRE_THROWS_AS(one->interrupt_trial(old_lease), LeaseLost);
  auto t = two->trial(a);
  REQUIRE(t->state == TrialState::kRunning);
  REQUIRE(t->worker == "w2");
  REQUIRE(t->progress.is_null());
  REQUIRE(two->epochs(a).size() == 2);
  REQUIRE(two->epochs(a)[1].test_accuracy == Approx(0.6));
  CHECK_THROWS_WITH(one->add_epoch(old_lease, epoch_row(2, 0.1)),
                    Catch::Contains("trial #" + std::to_string(a)) && Catch::Contains("w1"));

  // The same worker name with an earlier attempt is fenced too (a restarted process).
  REQUIRE(two->release_trial(a, "w2"));
  const auto again = two->claim_trial(study, "w2", 60);
  REQUIRE(again->attempts == 3);
  REQUIRE_THROWS_AS(two->add_epoch(new_lease, epoch_row(3, 0.2)), LeaseLost);
  // An unknown trial has no lease.
  REQUIRE_THROWS_AS(two->heartbeat(Lease{a + 1000, "w2", 1}, json::object()), LeaseLost);

  two->finish_trial(again->lease(), {{"accuracy", 0.65}});
  t = one->trial(a);
  REQUIRE(t->state == TrialState::kDone);
  REQUIRE(t->objective("accuracy") == Approx(0.65));
  REQUIRE(t->attempts == 3);
}

TEST_CASE("store contract: priority first, then insertion order", "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  auto store = test::fresh_store(backend, "priority").connect();
  const int64_t study = store->open_study("s", json::object());
  const int64_t a = store->add_trial(study, make_trial("a", "fp", {})).first;
  auto base = make_trial("b", "xnor", {});
  const int64_t b = store->add_trial(study, base).first;
  base.priority = 10;  // an analysis family asks for the same network as its baseline
  store->add_trial(study, base);
  REQUIRE(store->claim_trial(study, "w", 60)->id == b);
  REQUIRE(store->claim_trial(study, "w", 60)->id == a);
}

TEST_CASE("store contract: concurrent claims from two connections hand out each trial once",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  const auto s = test::fresh_store(backend, "concurrent");
  int64_t study = 0;
  constexpr int kTrials = 40;
  {
    auto store = s.connect();
    study = store->open_study("s", json::object());
    for (int i = 0; i < kTrials; ++i)
      store->add_trial(study, make_trial("k" + std::to_string(i), "fp", {{"i", i}}));
  }
  // Two connections, as two processes would have.
  std::vector<int64_t> got[2];
  auto worker = [&](int w) {
    auto store = s.connect();
    while (auto t = store->claim_trial(study, "w" + std::to_string(w), 600)) {
      got[w].push_back(t->id);
      store->finish_trial(t->lease(), {{"accuracy", 0.5}});
    }
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  std::set<int64_t> all(got[0].begin(), got[0].end());
  all.insert(got[1].begin(), got[1].end());
  INFO("worker 0: " << got[0].size() << ", worker 1: " << got[1].size());
  REQUIRE(got[0].size() + got[1].size() == kTrials);
  REQUIRE(all.size() == kTrials);
  auto store = s.connect();
  for (const auto& t : store->trials(study)) REQUIRE(t.attempts == 1);
}

TEST_CASE("store contract: a family stored under an earlier spelling reads as today's, once",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  auto store = test::fresh_store(backend, "renamed_family").connect();
  const int64_t study = store->open_study("s", json::object());
  // Written by a version that spelled the family edge_cloud, then resumed by this one.
  const int64_t id = store->add_trial(study, make_trial("k1", "edge_cloud", {{"bits", 1}})).first;
  store->add_trial(study, make_trial("k1", "edge-cloud", {{"bits", 1}}));
  store->add_trial(study, make_trial("k1", "edge-cloud", {{"bits", 2}}));
  const auto t = store->trial(id);
  REQUIRE(t->family == "edge-cloud");
  REQUIRE(t->settings.size() == 2);
  CHECK(t->settings[0].family == "edge-cloud");
  CHECK(t->settings[0].params == json{{"bits", 1}});
  CHECK(t->settings[1].params == json{{"bits", 2}});
  CHECK(store->trials(study).at(0).family == "edge-cloud");
  CHECK(current_family_name("pca") == "pca");
}

TEST_CASE("store contract: operating points are stored with the finish, added later once each",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  auto store = test::fresh_store(backend, "points").connect();
  const int64_t study = store->open_study("s", json::object());
  const int64_t id = store->add_trial(study, make_trial("k1", "edge-cloud", {{"bits", 1}})).first;
  const auto claimed = store->claim_trial(study, "w", 60);
  REQUIRE(claimed);
  PointRow a{{0.5}, 0.81, 2e6, 1.5e6, 0.5e6, {0.4}, {0.95, 0.7}};
  PointRow b{{10}, 0.80, 1e6, 1e6, 0, {1.0}, {0.8, 0}};
  store->finish_trial(claimed->lease(), {{"accuracy", 0.82}}, {b, a});
  auto t = store->trial(id);
  REQUIRE(t->state == TrialState::kDone);
  REQUIRE(t->points.size() == 2);
  // Sorted by threshold value (as text, "[10]" would come before "[2]": checked below).
  REQUIRE(t->points[0].thresholds == std::vector<double>{0.5});
  REQUIRE(t->points[1].thresholds == std::vector<double>{10});
  REQUIRE(t->points[0].accuracy == Approx(0.81));
  REQUIRE(t->points[0].energy_pj == Approx(2e6));
  REQUIRE(t->points[0].edge_energy_pj == Approx(1.5e6));
  REQUIRE(t->points[0].cloud_energy_pj == Approx(0.5e6));
  REQUIRE(t->points[0].exit_share == std::vector<double>{0.4});
  REQUIRE(t->points[0].exit_accuracy == std::vector<double>{0.95, 0.7});
  // A done trial takes new thresholds; a threshold it has keeps its first values.
  PointRow a2 = a;
  a2.accuracy = 0.1;
  PointRow c{{2}, 0.805, 1.5e6, 1.2e6, 0.3e6, {0.7}, {0.9, 0.6}};
  REQUIRE(store->add_points(id, {a2, c}) == 1);
  t = store->trial(id);
  REQUIRE(t->points.size() == 3);
  REQUIRE(t->points[0].accuracy == Approx(0.81));
  REQUIRE(t->points[1].thresholds == std::vector<double>{2});
  REQUIRE(store->trials(study).front().points.size() == 3);
  REQUIRE(t->objective("accuracy") == Approx(0.82));
}

TEST_CASE("store contract: measurements join a done trial's objectives, and only a done one's",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  auto store = test::fresh_store(backend, "measurements").connect();
  const int64_t study = store->open_study("s", json::object());
  const int64_t id = store->add_trial(study, make_trial("k1", "xnor", {})).first;
  CHECK_THROWS_WITH(store->add_measurements(id, {{"latency_ms", 1.5}}),
                    "trial #" + std::to_string(id) + " is not done: nothing measured");
  const auto claimed = store->claim_trial(study, "w", 60);
  REQUIRE(claimed);
  store->finish_trial(claimed->lease(), {{"accuracy", 0.82}});
  store->add_measurements(id, {{"latency_ms", 1.5}});
  store->add_measurements(id, {{"latency_ms", 1.25}});  // measured again: replaced
  const auto t = store->trial(id);
  CHECK(t->objective("latency_ms") == Approx(1.25));
  CHECK(t->objective("accuracy") == Approx(0.82));
  CHECK(store->trials(study).front().objective("latency_ms") == Approx(1.25));
}

TEST_CASE("store contract: a checkpoint is kept per trial, replaced under the lease only",
          "[db][contract]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  const auto s = test::fresh_store(backend, "checkpoints");
  auto one = s.connect(), two = s.connect();
  const int64_t study = one->open_study("s", json::object());
  const int64_t id = one->add_trial(study, make_trial("k1", "xnor", {})).first;
  REQUIRE_FALSE(one->checkpoint(id));
  const auto held = one->claim_trial(study, "w1", 60);
  // Bytes of every value, NULs included, and a size past one page.
  std::string bytes(70000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 256);
  one->put_checkpoint(held->lease(), 1, bytes);
  auto c = two->checkpoint(id);
  REQUIRE(c);
  CHECK(c->epochs == 1);
  CHECK(c->attempt == 1);
  CHECK(c->bytes == bytes);
  one->put_checkpoint(held->lease(), 2, "epoch two");
  CHECK(two->checkpoint(id)->bytes == "epoch two");
  // Taken over: the old holder's checkpoint write is refused, the new holder's kept.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto taken = two->claim_trial(study, "w2", 0.1);
  REQUIRE(taken);
  REQUIRE_THROWS_AS(one->put_checkpoint(held->lease(), 3, "stale"), LeaseLost);
  two->put_checkpoint(taken->lease(), 3, "epoch three");
  two->finish_trial(taken->lease(), {{"accuracy", 0.5}});
  c = one->checkpoint(id);
  CHECK(c->bytes == "epoch three");
  CHECK(c->epochs == 3);
  CHECK(c->attempt == 2);
  REQUIRE_THROWS_AS(two->put_checkpoint(taken->lease(), 4, "after done"), LeaseLost);
  CHECK_FALSE(one->checkpoint(id + 1000));
  CHECK(one->keeps_checkpoints() == (backend != "sqlite"));
}

TEST_CASE("open_store: SQLite by path or sqlite:PATH, an unknown scheme is refused, nothing made",
          "[db]") {
  namespace fs = std::filesystem;
  const auto dir = test::fresh_temp_dir("open_store");
  const std::string plain = (dir / "a.sqlite").string();
  open_store(plain, OpenMode::kReadWrite)->open_study("s", json::object());
  REQUIRE(open_store("sqlite:" + plain, OpenMode::kReadOnly)->find_study("s"));
  REQUIRE(open_store("sqlite://" + plain, OpenMode::kReadOnly)->find_study("s"));
  REQUIRE(open_store(plain, OpenMode::kReadOnly)->default_run_files_root() ==
          (dir / "a.runs").string());

  const auto cwd = fs::current_path();
  fs::current_path(dir);
  std::vector<std::string> unknown = {"mysql://h/db", "postgresql:db"};
#ifndef HYBRIDNET_WITH_POSTGRES
  unknown.push_back("postgresql://user@localhost:5432/hybridnet");
  unknown.push_back("postgres://localhost/db");
#endif
  for (const std::string& url : unknown) {
    INFO(url);
    REQUIRE_THROWS_AS(open_store(url, OpenMode::kReadWrite), ConfigError);
    REQUIRE_THROWS_WITH(open_store(url, OpenMode::kReadWrite),
                        Catch::Contains(url) && Catch::Contains("unknown store scheme") &&
                            Catch::Contains("sqlite:PATH"));
  }
  fs::current_path(cwd);
  // Nothing was created for them (before: a directory named "postgresql:" and a SQLite file),
  // and the read-only opens left no -wal/-shm files (before: they did).
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  REQUIRE(left == std::vector<std::string>{"a.sqlite"});
  REQUIRE_THROWS_AS(open_store("sqlite:", OpenMode::kReadWrite), ConfigError);
}

TEST_CASE("store contract: a trial stops at its rung under the lease, and is promoted once",
          "[db][contract][rungs]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  auto store = test::fresh_store(backend, "rungs").connect();
  const int64_t study = store->open_study("s", json::object());
  const int64_t a = store->add_trial(study, make_trial("a", "fp", {})).first;
  const int64_t b = store->add_trial(study, make_trial("b", "xnor", {})).first;

  auto ta = store->claim_trial(study, "w", 60);
  REQUIRE(ta->id == a);
  REQUIRE(ta->rung == 0);
  store->add_epoch(ta->lease(), epoch_row(1, -1));
  // Only the holder of the lease can stop it.
  REQUIRE_THROWS_AS(store->stop_at_rung({a, "other", ta->attempts}, 1, 0.5), LeaseLost);
  store->stop_at_rung(ta->lease(), 1, 0.625);
  auto after = *store->trial(a);
  CHECK(after.state == TrialState::kStopped);
  CHECK(after.rung == 0);
  CHECK(after.epochs_done == 1);
  CHECK(to_string(after.state) == std::string("stopped"));
  CHECK(parse_state("stopped") == TrialState::kStopped);
  // A stopped trial is not claimed again: b is next, then nothing.
  auto tb = store->claim_trial(study, "w", 60);
  REQUIRE(tb->id == b);
  store->stop_at_rung(tb->lease(), 1, 0.5);
  REQUIRE_FALSE(store->claim_trial(study, "w", 60));

  auto rows = store->rungs(study);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].trial_id == a);
  CHECK(rows[0].rung == 0);
  CHECK(rows[0].epochs == 1);
  CHECK(rows[0].accuracy == Approx(0.625));
  CHECK_FALSE(rows[0].promoted);
  CHECK(rows[0].reached_at > 0);

  // Promotion is a compare-and-set: the second promotion of the same rung does nothing, and a
  // rung the trial is not stopped at is refused.
  CHECK_FALSE(store->promote_trial(a, 1, 10));
  CHECK_FALSE(store->promote_trial(a, 0, 0));  // the limit is reached: no change
  CHECK(store->trial(a)->state == TrialState::kStopped);
  CHECK(store->promote_trial(a, 0, 1));
  CHECK_FALSE(store->promote_trial(a, 0, 10));
  CHECK_FALSE(store->promote_trial(b, 0, 1));  // a took the one place of rung 0
  CHECK(store->trial(b)->state == TrialState::kStopped);
  after = *store->trial(a);
  CHECK(after.state == TrialState::kPending);
  CHECK(after.rung == 1);
  rows = store->rungs(study);
  CHECK(rows[0].promoted);
  CHECK_FALSE(rows[1].promoted);

  // Promoted trials are claimed before new ones of the same priority.
  store->add_trial(study, make_trial("c", "fp", {{"c", 1}}));
  auto again = store->claim_trial(study, "w", 60);
  REQUIRE(again->id == a);
  CHECK(again->rung == 1);
  CHECK(again->attempts == 2);
  store->finish_trial(again->lease(), {{"accuracy", 0.7}});
  CHECK(store->trial(a)->state == TrialState::kDone);
  CHECK(store->rungs(study).size() == 2);  // the full budget is no stop
}

TEST_CASE("store contract: promotions from two connections at once promote each trial once",
          "[db][contract][rungs]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  const auto s = test::fresh_store(backend, "promote_race");
  constexpr int kTrials = 30;
  const int64_t study = study_stopped_at_rung_0(*s.connect(), kTrials);
  int promoted[2] = {0, 0};
  auto worker = [&](int w) {
    auto store = s.connect();
    for (const auto& r : store->rungs(study))
      promoted[w] += store->promote_trial(r.trial_id, 0, kTrials);
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  INFO("connection 0: " << promoted[0] << ", connection 1: " << promoted[1]);
  CHECK(promoted[0] + promoted[1] == kTrials);
  auto store = s.connect();
  for (const auto& t : store->trials(study)) CHECK(t.rung == 1);
}

TEST_CASE("store contract: promotions from two connections under a limit stop at the limit",
          "[db][contract][rungs]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  const auto s = test::fresh_store(backend, "promote_limit");
  constexpr int kTrials = 30, kLimit = 10;
  const int64_t study = study_stopped_at_rung_0(*s.connect(), kTrials);
  int promoted[2] = {0, 0};
  auto worker = [&](int w) {
    auto store = s.connect();
    const auto rows = store->rungs(study);
    // From opposite ends, so that the two compete for the last places.
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[w == 0 ? i : rows.size() - 1 - i];
      promoted[w] += store->promote_trial(r.trial_id, 0, kLimit);
    }
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  INFO("connection 0: " << promoted[0] << ", connection 1: " << promoted[1]);
  CHECK(promoted[0] + promoted[1] == kLimit);
  int on = 0;
  for (const auto& t : s.connect()->trials(study)) on += t.rung == 1;
  CHECK(on == kLimit);
}
