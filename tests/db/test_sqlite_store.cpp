// What only the SQLite store has (the contract every backend keeps is test_store_contract.cpp):
// migration of older schema versions, read-only opens, and files it must refuse (foreign, newer
// schema, corrupt) without modifying them.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>
#include <vector>

#include "db/schema.h"
#include "db/store.h"
#include "models/error.h"
#include "tests/support.h"

using namespace hybridnet;
using namespace hybridnet::db;
using nlohmann::json;
using Approx = Catch::Detail::Approx;
using test::file_bytes;

namespace {}  // namespace

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
  REQUIRE_THROWS_WITH(
      open_sqlite_store(path, OpenMode::kReadWrite),
      Catch::Contains(path) &&
          Catch::Contains("schema version " + std::to_string(kSchemaVersion + 1) + " is newer"));
  REQUIRE_THROWS_AS(open_sqlite_store(path, OpenMode::kReadOnly), StorageError);
  REQUIRE(file_bytes(path) == before);
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
    raw.exec(
        "INSERT INTO trials(id, study_id, trial_key, family, params_json, plan_json, "
        "plan_hash, config_json, state, created_at) VALUES (7, 1, 'k', 'xnor', '{}', "
        "'{\"arch\": \"resnet8\"}', 'h', '{}', 'done', 0)");
    raw.exec("INSERT INTO objectives VALUES (7, 'accuracy', 0.75)");
    raw.exec("INSERT INTO trial_settings VALUES (7, 1, 'xnor', '{}')");
    raw.exec("INSERT INTO epochs(trial_id, epoch, test_accuracy) VALUES (7, 1, 0.75)");
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
    // Schema 4 rebuilt the trials table: its children stayed, done trials stay immutable.
    REQUIRE(t->settings.size() == 1);
    REQUIRE(store->epochs(7).size() == 1);
    REQUIRE(t->epochs_done == 1);
    REQUIRE(t->rung == 0);
  }
  {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE);
    REQUIRE_THROWS_WITH(raw.exec("UPDATE trials SET state = 'pending' WHERE id = 7"),
                        Catch::Contains("immutable"));
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

TEST_CASE("store: eight workers creating one SQLite file at once all open it", "[db]") {
  // Switching a new file to WAL while another connection holds a lock is SQLITE_BUSY at once
  // (no busy timeout): the store waits and tries again; and a worker that finds the file
  // half-made by another reads it under its locks. Forty fresh files, eight workers each.
  const auto dir = test::fresh_temp_dir("store_first_open");
  for (int round = 0; round < 40; ++round) {
    const std::string path = (dir / ("db" + std::to_string(round) + ".sqlite")).string();
    std::vector<std::thread> workers;
    std::vector<std::string> errors(8);
    for (int w = 0; w < 8; ++w)
      workers.emplace_back([&, w] {
        try {
          open_sqlite_store(path, OpenMode::kReadWrite)->open_study("s", json::object());
        } catch (const std::exception& e) {
          errors[w] = e.what();
        }
      });
    for (auto& t : workers) t.join();
    for (int w = 0; w < 8; ++w) {
      INFO("round " << round << ", worker " << w);
      CHECK(errors[w] == "");
    }
  }
}
