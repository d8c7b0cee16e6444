// The SQLite store on real files: round trips, idempotent trial insertion, atomic claims across
// connections, stale heartbeats, immutability of finished trials, and files it must refuse
// (foreign, newer schema, corrupt) without modifying them.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "db/schema.h"
#include "db/store.h"
#include "models/error.h"
#include "tests/support.h"

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

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("store round trip: study, trials, settings, epochs, objectives, layers", "[db]") {
  const auto dir = test::fresh_temp_dir("store_round_trip");
  const std::string path = (dir / "sub" / "runs.sqlite").string();
  int64_t study = 0, a = 0;
  {
    auto store = open_sqlite_store(path, OpenMode::kReadWrite);
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
    store->heartbeat(a, "w1", {{"epoch", 1}});
    EpochRow e;
    e.epoch = 1;
    e.test_accuracy = 0.5;
    store->add_epoch(a, e);
    e.test_accuracy = 0.6;
    store->add_epoch(a, e);  // a re-run epoch replaces the row
    e.epoch = 2;
    e.test_accuracy = 0.7;
    store->add_epoch(a, e);
    store->finish_trial(a, {{"accuracy", 0.7}});
  }
  // Reopened read-only, everything is there.
  auto store = open_sqlite_store(path, OpenMode::kReadOnly);
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
}

TEST_CASE("store: finished trials are immutable; failures keep their reason", "[db]") {
  const auto dir = test::fresh_temp_dir("store_immutable");
  auto store = open_sqlite_store((dir / "db.sqlite").string(), OpenMode::kReadWrite);
  const int64_t study = store->open_study("s", json::object());
  const int64_t a = store->add_trial(study, make_trial("a", "fp", {})).first;
  const int64_t b = store->add_trial(study, make_trial("b", "xnor", {})).first;
  REQUIRE(store->claim_trial(study, "w", 60)->id == a);
  store->finish_trial(a, {{"accuracy", 0.9}});
  REQUIRE_THROWS_AS(store->fail_trial(a, "late"), StorageError);
  REQUIRE(store->trial(a)->state == TrialState::kDone);
  REQUIRE(store->claim_trial(study, "w", 60)->id == b);
  store->fail_trial(b, "training diverged: loss is nan");
  REQUIRE(store->trial(b)->failure == "training diverged: loss is nan");
  REQUIRE_FALSE(store->claim_trial(study, "w", 60));  // failed trials are not retried
}

TEST_CASE("store: interrupted and stale trials are claimed again, live ones are not", "[db]") {
  const auto dir = test::fresh_temp_dir("store_stale");
  auto store = open_sqlite_store((dir / "db.sqlite").string(), OpenMode::kReadWrite);
  const int64_t study = store->open_study("s", json::object());
  const int64_t a = store->add_trial(study, make_trial("a", "fp", {})).first;
  REQUIRE(store->claim_trial(study, "w1", 60)->id == a);
  REQUIRE_FALSE(store->claim_trial(study, "w2", 60));  // heartbeat fresh
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

TEST_CASE("store: priority first, then insertion order", "[db]") {
  const auto dir = test::fresh_temp_dir("store_priority");
  auto store = open_sqlite_store((dir / "db.sqlite").string(), OpenMode::kReadWrite);
  const int64_t study = store->open_study("s", json::object());
  const int64_t a = store->add_trial(study, make_trial("a", "fp", {})).first;
  auto base = make_trial("b", "xnor", {});
  const int64_t b = store->add_trial(study, base).first;
  base.priority = 10;  // an analysis family asks for the same network as its baseline
  store->add_trial(study, base);
  REQUIRE(store->claim_trial(study, "w", 60)->id == b);
  REQUIRE(store->claim_trial(study, "w", 60)->id == a);
}

TEST_CASE("store: concurrent claims from two connections hand out each trial once", "[db]") {
  const auto dir = test::fresh_temp_dir("store_concurrent");
  const std::string path = (dir / "db.sqlite").string();
  int64_t study = 0;
  constexpr int kTrials = 40;
  {
    auto store = open_sqlite_store(path, OpenMode::kReadWrite);
    study = store->open_study("s", json::object());
    for (int i = 0; i < kTrials; ++i)
      store->add_trial(study, make_trial("k" + std::to_string(i), "fp", {{"i", i}}));
  }
  // Two connections, as two processes would have.
  std::vector<int64_t> got[2];
  auto worker = [&](int w) {
    auto store = open_sqlite_store(path, OpenMode::kReadWrite);
    while (auto t = store->claim_trial(study, "w" + std::to_string(w), 600)) {
      got[w].push_back(t->id);
      store->finish_trial(t->id, {{"accuracy", 0.5}});
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
  auto store = open_sqlite_store(path, OpenMode::kReadOnly);
  for (const auto& t : store->trials(study)) REQUIRE(t.attempts == 1);
}

TEST_CASE("store: a newer schema version is refused and left untouched", "[db]") {
  const auto dir = test::fresh_temp_dir("store_newer");
  const std::string path = (dir / "db.sqlite").string();
  open_sqlite_store(path, OpenMode::kReadWrite)->open_study("s", json::object());
  {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA journal_mode = DELETE");  // fold the WAL in, so the file is the whole db
    raw.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  }
  const std::string before = file_bytes(path);
  REQUIRE_THROWS_WITH(open_sqlite_store(path, OpenMode::kReadWrite),
                      Catch::Contains(path) &&
                          Catch::Contains("schema version " + std::to_string(kSchemaVersion + 1) +
                                          " is newer"));
  REQUIRE_THROWS_AS(open_sqlite_store(path, OpenMode::kReadOnly), StorageError);
  REQUIRE(file_bytes(path) == before);
}

TEST_CASE("store: operating points are stored with the finish, added later once each", "[db]") {
  const auto dir = test::fresh_temp_dir("store_points");
  const std::string path = (dir / "db.sqlite").string();
  auto store = open_sqlite_store(path, OpenMode::kReadWrite);
  const int64_t study = store->open_study("s", json::object());
  const int64_t id = store->add_trial(study, make_trial("k1", "edge_cloud", {{"bits", 1}})).first;
  REQUIRE(store->claim_trial(study, "w", 60));
  PointRow a{{0.5}, 0.81, 2e6, 1.5e6, 0.5e6, {0.4}, {0.95, 0.7}};
  PointRow b{{10}, 0.80, 1e6, 1e6, 0, {1.0}, {0.8, 0}};
  store->finish_trial(id, {{"accuracy", 0.82}}, {b, a});
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

TEST_CASE("store: a version-1 database is migrated to the current schema, trials kept", "[db]") {
  const auto dir = test::fresh_temp_dir("store_migrate");
  const std::string path = (dir / "v1.sqlite").string();
  {  // A store as hybridnet 1 wrote it: schema 1 and a finished trial.
    SQLite::Database raw(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec(schema_migrations().at(0));
    raw.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    raw.exec("PRAGMA user_version = 1");
    raw.exec("INSERT INTO studies(id, name, space_json, created_at) VALUES (1, 'old', '{}', 0)");
    raw.exec("INSERT INTO trials(id, study_id, trial_key, family, params_json, plan_json, "
             "plan_hash, config_json, state, created_at) VALUES (7, 1, 'k', 'xnor', '{}', "
             "'{\"arch\": \"resnet8\"}', 'h', '{}', 'done', 0)");
    raw.exec("INSERT INTO objectives VALUES (7, 'accuracy', 0.75)");
  }
  {  // Queries read it as it is, without touching the file.
    const std::string before = file_bytes(path);
    auto reader = open_sqlite_store(path, OpenMode::kReadOnly);
    REQUIRE(reader->trial(7)->objective("accuracy") == Approx(0.75));
    REQUIRE(reader->trials(1).front().points.empty());
    reader.reset();
    REQUIRE(file_bytes(path) == before);
  }
  {
    auto store = open_sqlite_store(path, OpenMode::kReadWrite);
    auto t = store->trial(7);
    REQUIRE(t);
    REQUIRE(t->state == TrialState::kDone);
    REQUIRE(t->objective("accuracy") == Approx(0.75));
    REQUIRE(t->points.empty());
    REQUIRE(store->add_points(7, {PointRow{{1.0}, 0.7, 1, 1, 0, {0.5}, {0.8, 0.6}}}) == 1);
  }
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  REQUIRE(raw.execAndGet("PRAGMA user_version").getInt() == kSchemaVersion);
  REQUIRE(raw.execAndGet("SELECT count(*) FROM trial_points").getInt() == 1);
  auto reader = open_sqlite_store(path, OpenMode::kReadOnly);
  REQUIRE(reader->trial(7)->points.size() == 1);
}

TEST_CASE("store: a SQLite file that is not ours is refused and left untouched", "[db]") {
  const auto dir = test::fresh_temp_dir("store_foreign");
  const std::string path = (dir / "other.sqlite").string();
  {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)");
  }
  const std::string before = file_bytes(path);
  REQUIRE_THROWS_WITH(open_sqlite_store(path, OpenMode::kReadWrite),
                      Catch::Contains("not a hybridnet database"));
  REQUIRE(file_bytes(path) == before);
}

TEST_CASE("store: a corrupt file is refused and left untouched", "[db]") {
  const auto dir = test::fresh_temp_dir("store_corrupt");
  const std::string path = (dir / "broken.sqlite").string();
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 7919) % 251));
  }
  const std::string before = file_bytes(path);
  REQUIRE_THROWS_WITH(open_sqlite_store(path, OpenMode::kReadWrite),
                      Catch::Contains(path) && Catch::Contains("not a SQLite database"));
  REQUIRE(file_bytes(path) == before);
  REQUIRE_THROWS_WITH(open_sqlite_store((dir / "missing.sqlite").string(), OpenMode::kReadOnly),
                      Catch::Contains("no such database"));
}
