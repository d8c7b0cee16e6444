// What only the PostgreSQL store has to show (the contract suite covers the rest on it): bad
// servers and databases refused in one line with nothing written, many workers creating the
// schema at once, a server restart survived, read-only connections, and exact numbers.
#include <catch2/catch.hpp>
#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "db/postgres_store.h"
#include "db/store.h"
#include "models/error.h"
#include "tests/db/postgres_test_server.h"

using namespace hybridnet;
using namespace hybridnet::db;
using nlohmann::json;

namespace {

NewTrial tiny_trial(const std::string& key) {
  NewTrial t;
  t.key = key;
  t.family = "xnor";
  t.params = json::object();
  t.plan = {{"arch", "resnet8"}};
  t.plan_hash = "h-" + key;
  t.config = {{"seed", 0}};
  return t;
}

// The tables of database `name`, as the superuser sees them.
long long table_count(const std::string& name) {
  pqxx::connection db(test::test_postgres().url + "/" + name);
  pqxx::read_transaction tx(db);
  return tx.exec1("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0].as<long long>();
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("postgres store: passwords are hidden in every URL it shows", "[db][postgres]") {
  CHECK(redact_postgres_url("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db");
  CHECK(redact_postgres_url("postgresql://u@h/db?password=secret&sslmode=disable") ==
        "postgresql://u@h/db?password=***&sslmode=disable");
  CHECK(redact_postgres_url("postgresql://u@h/db") == "postgresql://u@h/db");
  CHECK(redact_postgres_url("postgres://h:5/db") == "postgres://h:5/db");
}

TEST_CASE("postgres store: an unreachable server or refused credentials is one line, at once",
          "[db][postgres]") {
  const auto& server = test::test_postgres();
  // Port 1 on the loopback: nothing listens there.
  const auto t0 = std::chrono::steady_clock::now();
  const std::string down =
      message_of([] { open_store("postgresql://hybridnet@127.0.0.1:1/x", OpenMode::kReadWrite); });
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  CHECK_THAT(down, Catch::StartsWith("postgresql://hybridnet@127.0.0.1:1/x: cannot connect: "));
  CHECK(down.find('\n') == std::string::npos);
  CHECK_THROWS_AS(open_store("postgresql://hybridnet@127.0.0.1:1/x", OpenMode::kReadOnly),
                  StorageError);

  const std::string url = test::fresh_postgres_database("pg_credentials");
  const std::string wrong = server.url.substr(0, server.url.find("@")) + ":not-the-password" +
                            server.url.substr(server.url.find("@")) + "/pg_credentials";
  const std::string refused = message_of([&] { open_store(wrong, OpenMode::kReadWrite); });
  CHECK_THAT(refused, Catch::Contains("cannot connect") &&
                          Catch::Contains("password authentication failed") &&
                          Catch::Contains(":***@"));
  CHECK(refused.find("not-the-password") == std::string::npos);
  CHECK(refused.find('\n') == std::string::npos);
  // A database that does not exist is refused too (nothing is created on the server).
  CHECK_THAT(message_of([&] { open_store(server.url + "/no_such_db", OpenMode::kReadWrite); }),
             Catch::Contains("no_such_db") && Catch::Contains("cannot connect"));
  CHECK(table_count("pg_credentials") == 0);
  (void)url;
}

TEST_CASE("postgres store: another program's database and a newer schema are refused untouched",
          "[db][postgres]") {
  const std::string other = test::fresh_postgres_database("pg_foreign");
  test::postgres_admin_exec("pg_foreign",
                            "CREATE TABLE public.invoices(id int); ALTER TABLE public.invoices "
                            "OWNER TO hybridnet");
  for (auto mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    const std::string m = message_of([&] { open_store(other, mode); });
    CHECK_THAT(m, Catch::Contains(other) && Catch::Contains("not a hybridnet database") &&
                      Catch::Contains("refusing to touch it"));
  }
  CHECK(table_count("pg_foreign") == 1);  // no hybridnet table was added

  const std::string newer = test::fresh_postgres_database("pg_newer");
  open_store(newer, OpenMode::kReadWrite)->open_study("s", json::object());
  test::postgres_admin_exec("pg_newer",
                            "UPDATE hybridnet_meta SET value = '99' WHERE key = 'schema_version'");
  for (auto mode : {OpenMode::kReadWrite, OpenMode::kReadOnly})
    CHECK_THAT(message_of([&] { open_store(newer, mode); }),
               Catch::Contains("schema version 99 is newer"));

  // A read-only open of an empty database finds no store and creates none.
  const std::string empty = test::fresh_postgres_database("pg_empty");
  CHECK_THAT(message_of([&] { open_store(empty, OpenMode::kReadOnly); }),
             Catch::Contains("no hybridnet study store"));
  CHECK(table_count("pg_empty") == 0);
}

TEST_CASE("postgres store: sixteen workers starting together create the schema once",
          "[db][postgres]") {
  const std::string url = test::fresh_postgres_database("pg_first_start");
  std::vector<std::thread> workers;
  std::vector<std::string> errors(16);
  std::vector<int64_t> ids(16);
  for (int w = 0; w < 16; ++w)
    workers.emplace_back([&, w] {
      try {
        auto store = open_store(url, OpenMode::kReadWrite);
        ids[w] = store->open_study("s", json::object());
        store->add_trials(ids[w], {tiny_trial("a"), tiny_trial("b")});
      } catch (const std::exception& e) {
        errors[w] = e.what();
      }
    });
  for (auto& t : workers) t.join();
  for (int w = 0; w < 16; ++w) {
    INFO("worker " << w);
    CHECK(errors[w] == "");  // the message, if any, in the report
    CHECK(ids[w] == ids[0]);
  }
  auto store = open_store(url, OpenMode::kReadOnly);
  CHECK(store->studies().size() == 1);
  CHECK(store->trials(ids[0]).size() == 2);
}

TEST_CASE("postgres store: a worker's calls survive a server restart", "[db][postgres][restart]") {
  const std::string url = test::fresh_postgres_database("pg_restart");
  auto store = open_store(url, OpenMode::kReadWrite);
  const int64_t study = store->open_study("s", json::object());
  store->add_trials(study, {tiny_trial("a"), tiny_trial("b")});
  const auto held = store->claim_trial(study, "w1", 60);
  REQUIRE(held);
  EpochRow e;
  e.epoch = 1;
  e.test_accuracy = 0.5;
  store->add_epoch(held->lease(), e);

  test::restart_postgres();  // every connection is cut; this store's is now dead

  store->heartbeat(held->lease(), {{"epoch", 2}});
  e.epoch = 2;
  e.test_accuracy = 0.6;
  store->add_epoch(held->lease(), e);
  store->finish_trial(held->lease(), {{"accuracy", 0.6}});
  const auto t = store->trial(held->id);
  REQUIRE(t);
  CHECK(t->state == TrialState::kDone);
  CHECK(t->attempts == 1);
  CHECK(store->epochs(held->id).size() == 2);
  CHECK(store->claim_trial(study, "w1", 60)->key == "b");
}

TEST_CASE("postgres store: a read-only connection reads and never writes", "[db][postgres]") {
  const std::string url = test::fresh_postgres_database("pg_read_only");
  const int64_t study = open_store(url, OpenMode::kReadWrite)->open_study("s", json::object());
  auto reader = open_store(url, OpenMode::kReadOnly);
  CHECK(reader->find_study("s"));
  CHECK_THROWS_AS(reader->add_trial(study, tiny_trial("a")), StorageError);
  CHECK_THAT(message_of([&] { reader->open_study("t", json::object()); }),
             Catch::Contains("read-only"));
  CHECK(reader->trials(study).empty());
  // Local run files go to the user's cache, one directory per server and database.
  CHECK_THAT(reader->default_run_files_root(),
             Catch::EndsWith("/hybridnet/runs/hybridnet_127.0.0.1_" +
                             url.substr(url.rfind(':') + 1, url.rfind('/') - url.rfind(':') - 1) +
                             "_pg_read_only"));
  CHECK(reader->keeps_checkpoints());
}

TEST_CASE("postgres store: numbers read back exactly", "[db][postgres]") {
  auto store = open_store(test::fresh_postgres_database("pg_numbers"), OpenMode::kReadWrite);
  const int64_t study = store->open_study("s", json::object());
  NewTrial t = tiny_trial("a");
  t.objectives = {
      {"energy_pj", 0.1 + 0.2}, {"memory_bits", 1e-300}, {"flops", 123456789.123456789}};
  const int64_t id = store->add_trial(study, t).first;
  const auto held = store->claim_trial(study, "w", 60);
  store->finish_trial(held->lease(), {{"accuracy", 1.0 / 3.0}});
  const auto r = store->trial(id);
  CHECK(r->objective("energy_pj") == 0.1 + 0.2);
  CHECK(r->objective("memory_bits") == 1e-300);
  CHECK(r->objective("flops") == 123456789.123456789);
  CHECK(r->objective("accuracy") == 1.0 / 3.0);
}
