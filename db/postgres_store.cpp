// PostgreSQL implementation of the Store (libpqxx), for sweeps whose workers run on many
// machines. One connection per Store (so per worker process), shared by its threads under a
// mutex. Every call is one transaction at READ COMMITTED:
//  - claims pick a row with SELECT ... FOR UPDATE SKIP LOCKED, so concurrent workers never wait
//    on each other's candidate and never get the same trial;
//  - lease writes are conditional updates (the SQLite backend's kHeldBy condition);
//  - times are the server's clock (clock_timestamp()), never a worker's;
//  - a lost connection (a server restart, a network cut) is re-established and the call run
//    again, for up to reconnect_seconds(); a transaction cut before its commit changed nothing,
//    and one cut during its commit (in doubt) is run again in a form that accepts its own
//    earlier success.
// Identity: table hybridnet_meta names the application and the schema version; a database
// with other tables and no hybridnet_meta belongs to another program and is left untouched.
#include "db/postgres_store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "db/postgres_schema.h"
#include "db/store.h"
#include "models/error.h"

namespace hybridnet::db {

using nlohmann::json;

namespace {

constexpr const char* kNowSql = "extract(epoch from clock_timestamp())::float8";
// pg_advisory_xact_lock key of schema creation and migration: "HYNT".
constexpr long long kMigrationLock = 0x48594E54;

// libpq's messages span lines ("FATAL:  ...\n"): one line, without the severity's padding.
std::string one_line(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Doubles as text that reads back to the same double (pqxx's default keeps fewer digits on
// some versions); NaN and infinities in PostgreSQL's spelling.
std::string real(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

json json_field(const pqxx::field& f) {
  if (f.is_null()) return json();
  return json::parse(f.c_str(), nullptr, /*allow_exceptions=*/false);
}

std::vector<double> doubles(const pqxx::field& f) {
  const json j = json_field(f);
  std::vector<double> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_number()) out.push_back(v.get<double>());
  return out;
}

double real_or_zero(const pqxx::field& f) { return f.is_null() ? 0.0 : f.as<double>(); }
std::string text_or_empty(const pqxx::field& f) { return f.is_null() ? "" : f.c_str(); }

// $XDG_CACHE_HOME/hybridnet/runs/<server and database> (or ~/.cache/...): where a worker of a
// server store keeps its trials' local run files; the server holds the checkpoints that matter.
std::string local_run_files_root(const std::string& shown_url) {
  const char* cache = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string base = cache && *cache ? cache : home && *home ? std::string(home) + "/.cache" : "";
  if (base.empty()) return "";
  std::string slug;
  for (char c : shown_url.substr(shown_url.find("://") + 3)) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-';
    slug += plain ? c : '_';
  }
  return base + "/hybridnet/runs/" + slug.substr(0, 120);
}

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, OpenMode mode)
      : url_(url), shown_(redact_postgres_url(url)), mode_(mode) {
    connect();  // the first connection fails at once: a wrong URL is not worth waiting for
    try {
      if (mode == OpenMode::kReadWrite)
        migrate();
      else {
        pqxx::read_transaction tx(*conn_);
        version_ = inspect(tx, /*migrating=*/false);
      }
    } catch (const pqxx::failure& e) {
      throw StorageError(shown_ + ": " + one_line(e.what()));
    }
  }

  int64_t open_study(const std::string& name, const json& space) override {
    return transact([&](pqxx::work& tx) {
      return tx
          .exec_params1(std::string("INSERT INTO studies(name, space_json, created_at) VALUES "
                                    "($1, $2, ") +
                            kNowSql +
                            ") ON CONFLICT (name) DO UPDATE SET space_json = EXCLUDED.space_json "
                            "RETURNING id",
                        name, space.dump())[0]
          .as<int64_t>();
    });
  }

  std::optional<StudyRecord> find_study(const std::string& name) override {
    for (auto& s : studies())
      if (s.name == name) return s;
    return std::nullopt;
  }

  std::vector<StudyRecord> studies() override {
    return transact([&](pqxx::work& tx) {
      std::vector<StudyRecord> out;
      for (const auto& r :
           tx.exec("SELECT id, name, space_json, created_at FROM studies ORDER BY id"))
        out.push_back({r[0].as<int64_t>(), r[1].c_str(), json_field(r[2]), r[3].as<double>()});
      return out;
    });
  }

  std::vector<std::pair<int64_t, bool>> add_trials(int64_t study,
                                                   const std::vector<NewTrial>& trials) override {
    return transact([&](pqxx::work& tx) {
      std::vector<std::pair<int64_t, bool>> out;
      for (const auto& t : trials) out.push_back(insert_trial(tx, study, t));
      return out;
    });
  }

  std::optional<TrialRecord> claim_trial(int64_t study, const std::string& worker,
                                         double stale_seconds) override {
    const std::optional<int64_t> claimed = transact([&](pqxx::work& tx) -> std::optional<int64_t> {
      const double now = tx.exec1(std::string("SELECT ") + kNowSql)[0].as<double>();
      const auto r = tx.exec_params(
          "UPDATE trials SET state = 'running', worker = $2, attempts = attempts + 1, started_at "
          "= coalesce(started_at, $3::float8), heartbeat_at = $3::float8, progress_json = NULL, "
          "failure = NULL WHERE id = (SELECT id FROM trials WHERE study_id = $1 AND (state IN "
          "('pending', 'interrupted') OR (state = 'running' AND heartbeat_at < $4::float8)) "
          "ORDER BY priority DESC, rung DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
          study, worker, real(now), real(now - stale_seconds));
      if (r.empty()) return std::nullopt;
      return r[0][0].as<int64_t>();
    });
    if (!claimed) return std::nullopt;
    return trial(*claimed);
  }

  bool release_trial(int64_t id, const std::string& worker) override {
    return transact([&](pqxx::work& tx) {
      return tx.exec_params(
                   "UPDATE trials SET state = 'interrupted' WHERE id = $1 AND state = "
                   "'running' AND worker = $2",
                   id, worker)
                 .affected_rows() > 0;
    });
  }

  void heartbeat(const Lease& lease, const json& progress) override {
    transact([&](pqxx::work& tx) {
      const auto r = tx.exec_params(std::string("UPDATE trials SET heartbeat_at = ") + kNowSql +
                                        ", progress_json = $4 WHERE " + kHeldBy,
                                    lease.trial_id, lease.worker, lease.attempt, progress.dump());
      if (r.affected_rows() == 0) throw LeaseLost(lease);
      return 0;
    });
  }

  void add_epoch(const Lease& lease, const EpochRow& r) override {
    transact([&](pqxx::work& tx) {
      require(tx, lease);
      upsert_epoch(tx, lease.trial_id, r);
      return 0;
    });
  }

  void finish_trial(const Lease& lease, const std::map<std::string, double>& objectives,
                    const std::vector<PointRow>& points) override {
    transact([&](pqxx::work& tx) {
      if (settled(tx, lease, "done")) return 0;  // our own finish, committed in doubt
      require(tx, lease);
      upsert_objectives(tx, lease.trial_id, objectives);
      insert_points(tx, lease.trial_id, points);
      return set_state(tx, lease, "done", "");
    });
  }

  void fail_trial(const Lease& lease, const std::string& reason) override {
    transact([&](pqxx::work& tx) {
      if (settled(tx, lease, "failed")) return 0;
      return set_state(tx, lease, "failed", reason);
    });
  }

  void interrupt_trial(const Lease& lease) override {
    transact([&](pqxx::work& tx) {
      if (settled(tx, lease, "interrupted")) return 0;
      return set_state(tx, lease, "interrupted", "");
    });
  }

  void stop_at_rung(const Lease& lease, int epochs, double accuracy) override {
    transact([&](pqxx::work& tx) {
      if (settled(tx, lease, "stopped")) return 0;  // our own stop, committed in doubt
      require(tx, lease);
      tx.exec_params(std::string("INSERT INTO rungs(trial_id, rung, epochs, accuracy, "
                                 "reached_at) SELECT id, rung, $2, $3::float8, ") +
                         kNowSql +
                         " FROM trials WHERE id = $1 ON CONFLICT (trial_id, rung) DO UPDATE SET "
                         "epochs = EXCLUDED.epochs, accuracy = EXCLUDED.accuracy, reached_at = "
                         "EXCLUDED.reached_at, promoted_at = NULL",
                     lease.trial_id, epochs, real(accuracy));
      return set_state(tx, lease, "stopped", "");
    });
  }

  bool promote_trial(int64_t id, int rung, int limit) override {
    return transact([&](pqxx::work& tx) {
      // A retry after a commit in doubt may find its own promotion done and answer false: the
      // trial is pending either way, and the caller only counts. The study's row lock makes
      // the count and the promotion one step for every process promoting in that study.
      const auto study = tx.exec_params(
          "SELECT s.id FROM studies s JOIN trials t ON t.study_id = s.id WHERE t.id = $1 FOR "
          "UPDATE OF s",
          id);
      if (study.empty()) return false;
      const auto promoted = tx.exec_params1(
          "SELECT count(*) FROM rungs r JOIN trials t ON t.id = r.trial_id WHERE t.study_id = "
          "$1 AND r.rung = $2 AND r.promoted_at IS NOT NULL",
          study[0][0].as<int64_t>(), rung);
      if (promoted[0].as<int>() >= limit) return false;
      const auto r = tx.exec_params(
          "UPDATE trials SET state = 'pending', rung = rung + 1, finished_at = NULL WHERE id = "
          "$1 AND state = 'stopped' AND rung = $2",
          id, rung);
      if (r.affected_rows() == 0) return false;
      tx.exec_params(std::string("UPDATE rungs SET promoted_at = ") + kNowSql +
                         " WHERE trial_id = $1 AND rung = $2",
                     id, rung);
      return true;
    });
  }

  std::vector<RungRow> rungs(int64_t study) override {
    if (version_ < 4) return {};  // read as it is, from before successive halving
    return transact([&](pqxx::work& tx) {
      std::vector<RungRow> out;
      for (const auto& r : tx.exec_params(
               "SELECT r.trial_id, r.rung, r.epochs, r.accuracy, r.reached_at, r.promoted_at IS "
               "NOT NULL FROM rungs r JOIN trials t ON t.id = r.trial_id WHERE t.study_id = $1 "
               "ORDER BY r.trial_id, r.rung",
               study))
        out.push_back({r[0].as<int64_t>(), r[1].as<int>(), r[2].as<int>(), r[3].as<double>(),
                       r[4].as<double>(), r[5].as<bool>()});
      return out;
    });
  }

  int retry_failed(int64_t study) override {
    return transact([&](pqxx::work& tx) {
      return static_cast<int>(
          tx.exec_params("UPDATE trials SET state = 'interrupted', failure = NULL, finished_at = "
                         "NULL WHERE study_id = $1 AND state = 'failed'",
                         study)
              .affected_rows());
    });
  }

  int add_points(int64_t id, const std::vector<PointRow>& points) override {
    return transact([&](pqxx::work& tx) { return insert_points(tx, id, points); });
  }

  void add_measurements(int64_t id, const std::map<std::string, double>& values) override {
    transact([&](pqxx::work& tx) {
      const auto r = tx.exec_params("SELECT state FROM trials WHERE id = $1 FOR SHARE", id);
      if (r.empty() || std::string(r[0][0].c_str()) != "done")
        throw ConfigError("trial #" + std::to_string(id) + " is not done: nothing measured");
      upsert_objectives(tx, id, values);
      return 0;
    });
  }

  std::vector<TrialRecord> trials(int64_t study) override {
    return transact([&](pqxx::work& tx) { return select_trials(tx, "t.study_id = $1", study); });
  }

  std::optional<TrialRecord> trial(int64_t id) override {
    auto v = transact([&](pqxx::work& tx) { return select_trials(tx, "t.id = $1", id); });
    if (v.empty()) return std::nullopt;
    return v.front();
  }

  std::vector<EpochRow> epochs(int64_t id) override {
    return transact([&](pqxx::work& tx) {
      std::vector<EpochRow> out;
      for (const auto& q : tx.exec_params(
               "SELECT epoch, lr, train_loss, train_accuracy, val_accuracy, test_accuracy, "
               "test_top5, seconds FROM epochs WHERE trial_id = $1 ORDER BY epoch",
               id)) {
        EpochRow r;
        r.epoch = q[0].as<int>();
        r.lr = real_or_zero(q[1]);
        r.train_loss = real_or_zero(q[2]);
        r.train_accuracy = real_or_zero(q[3]);
        r.val_accuracy = real_or_zero(q[4]);
        r.test_accuracy = real_or_zero(q[5]);
        r.test_top5 = real_or_zero(q[6]);
        r.seconds = real_or_zero(q[7]);
        out.push_back(r);
      }
      return out;
    });
  }

  std::vector<LayerRow> layers(int64_t id) override {
    return transact([&](pqxx::work& tx) {
      std::vector<LayerRow> out;
      for (const auto& q : tx.exec_params(
               "SELECT layer_index, name, role, weight_bits, input_bits, fp_fraction FROM "
               "layer_precisions WHERE trial_id = $1 ORDER BY layer_index",
               id))
        out.push_back({q[0].as<int>(), q[1].c_str(), q[2].c_str(), q[3].as<int>(), q[4].as<int>(),
                       q[5].as<double>()});
      return out;
    });
  }

  void put_artifact(int64_t study, const std::string& key, const json& value) override {
    transact([&](pqxx::work& tx) {
      tx.exec_params(std::string("INSERT INTO artifacts(study_id, key, value_json, created_at) "
                                 "VALUES ($1, $2, $3, ") +
                         kNowSql + ") ON CONFLICT DO NOTHING",
                     study, key, value.dump());
      return 0;
    });
  }

  std::optional<json> artifact(int64_t study, const std::string& key) override {
    return transact([&](pqxx::work& tx) -> std::optional<json> {
      const auto r = tx.exec_params(
          "SELECT value_json FROM artifacts WHERE study_id = $1 AND key = $2", study, key);
      if (r.empty()) return std::nullopt;
      return json_field(r[0][0]);
    });
  }

  void put_checkpoint(const Lease& lease, int epochs, const std::string& bytes) override {
    transact([&](pqxx::work& tx) {
      require(tx, lease);
      upsert_checkpoint(tx, lease.trial_id, {epochs, lease.attempt, bytes});
      return 0;
    });
  }

  ImportOutcome import_trial(int64_t study, const TrialCopy& c) override {
    return transact([&](pqxx::work& tx) {
      const TrialRecord& r = c.record;
      // A running copy's worker belongs to the other store: here it is interrupted.
      const std::string state =
          r.state == TrialState::kRunning ? "interrupted" : to_string(r.state);
      const std::string progress = r.progress.is_null() ? "" : r.progress.dump();
      ImportOutcome outcome = ImportOutcome::kUnchanged;
      const auto ins = tx.exec_params(
          "INSERT INTO trials(study_id, trial_key, family, params_json, plan_json, plan_hash, "
          "config_json, priority, state, worker, attempts, created_at, started_at, finished_at, "
          "heartbeat_at, progress_json, failure, rung) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
          "$9, NULLIF($10, ''), $11, $12::float8, NULLIF($13::float8, 0), NULLIF($14::float8, "
          "0), NULLIF($15::float8, 0), NULLIF($16, ''), NULLIF($17, ''), $18) ON CONFLICT "
          "(study_id, trial_key) DO NOTHING RETURNING id",
          study, r.key, r.family, r.params.dump(), r.plan.dump(), r.plan_hash, r.config.dump(),
          r.priority, state, r.worker, r.attempts, real(r.created_at), real(r.started_at),
          real(r.finished_at), real(r.heartbeat_at), progress, r.failure, r.rung);
      int64_t id = 0;
      if (!ins.empty()) {
        id = ins[0][0].as<int64_t>();
        insert_layers(tx, id, c.layers);
        import_results(tx, id, c);
        outcome = ImportOutcome::kAdded;
      } else {
        const auto found = tx.exec_params1(
            "SELECT id, state FROM trials WHERE study_id = $1 AND trial_key = $2 FOR UPDATE", study,
            r.key);
        id = found[0].as<int64_t>();
        if (std::string(found[1].c_str()) != "done" && r.state == TrialState::kDone) {
          tx.exec_params(
              "UPDATE trials SET state = 'done', worker = NULLIF($2, ''), attempts = "
              "$3, started_at = NULLIF($4::float8, 0), finished_at = "
              "NULLIF($5::float8, 0), heartbeat_at = NULLIF($6::float8, 0), "
              "progress_json = NULLIF($7, ''), failure = NULL, rung = $8 WHERE id = $1",
              id, r.worker, r.attempts, real(r.started_at), real(r.finished_at),
              real(r.heartbeat_at), progress, r.rung);
          tx.exec_params("DELETE FROM epochs WHERE trial_id = $1", id);
          import_results(tx, id, c);
          outcome = ImportOutcome::kUpdated;
        }
      }
      for (const auto& setting : r.settings) add_setting(tx, id, setting.family, setting.params);
      return outcome;
    });
  }

  std::map<std::string, json> artifacts(int64_t study) override {
    return transact([&](pqxx::work& tx) {
      std::map<std::string, json> out;
      for (const auto& r :
           tx.exec_params("SELECT key, value_json FROM artifacts WHERE study_id = $1", study))
        out[r[0].c_str()] = json_field(r[1]);
      return out;
    });
  }

  std::optional<StoredCheckpoint> checkpoint(int64_t id) override {
    if (version_ < 3) return std::nullopt;  // read as it is, from before checkpoints
    return transact([&](pqxx::work& tx) -> std::optional<StoredCheckpoint> {
      const auto r =
          tx.exec_params("SELECT epochs, attempt, bytes FROM checkpoints WHERE trial_id = $1", id);
      if (r.empty()) return std::nullopt;
      return StoredCheckpoint{r[0][0].as<int>(), r[0][1].as<int>(),
                              pqxx::binarystring(r[0][2]).str()};
    });
  }

  // Workers on many machines share no file system: checkpoints travel through the server.
  bool keeps_checkpoints() const override { return true; }

  // Local scratch for run files (checkpoints are in the server): a per-user cache directory,
  // one per server and database (--runs chooses another, a node's local disk say).
  std::string default_run_files_root() const override { return run_files_root_; }

  const std::string& location() const override { return shown_; }

  double now() override {
    return transact(
        [&](pqxx::work& tx) { return tx.exec1(std::string("SELECT ") + kNowSql)[0].as<double>(); });
  }

 private:
  // The lease condition of every write under a lease: parameters $1..$3.
  static constexpr const char* kHeldBy =
      "id = $1 AND state = 'running' AND worker = $2 AND attempts = $3";

  void connect() {
    try {
      auto conn = std::make_unique<pqxx::connection>(url_);
      // NOTICEs (pqxx prints them on stderr) are noise to a user of the tool.
      conn->set_variable("client_min_messages", "warning");
      // A query command's connection cannot write, whatever it runs.
      if (mode_ == OpenMode::kReadOnly) conn->set_variable("default_transaction_read_only", "on");
      conn_ = std::move(conn);
    } catch (const pqxx::failure& e) {
      throw StorageError(shown_ + ": cannot connect: " + one_line(e.what()));
    } catch (const std::exception& e) {  // a malformed URL is an argument error in libpq
      throw StorageError(shown_ + ": cannot connect: " + one_line(e.what()));
    }
  }

  // A connection that was lost: connect again until the server answers or the limit passes.
  void reconnect(std::chrono::steady_clock::time_point deadline, const std::string& why) {
    conn_.reset();
    if (!warned_) {
      std::cerr << "hybridnet: lost the connection to " << shown_ << " (" << why
                << "); reconnecting for up to " << reconnect_limit_ << " s\n";
      warned_ = true;
    }
    auto wait = std::chrono::milliseconds(200);
    for (;;) {
      try {
        connect();
        std::cerr << "hybridnet: reconnected to " << shown_ << "\n";
        warned_ = false;
        return;
      } catch (const StorageError& e) {
        if (std::chrono::steady_clock::now() + wait > deadline)
          throw StorageError(std::string(e.what()) + " (gave up reconnecting after " +
                             std::to_string(reconnect_limit_) + " s)");
      }
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, std::chrono::milliseconds(5000));
    }
  }

  // Runs f in one transaction, reconnecting and running it again after a lost connection,
  // and again after a deadlock or serialization failure (the server rolled it back).
  template <class F>
  auto transact(F&& f) -> decltype(f(std::declval<pqxx::work&>())) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(reconnect_limit_);
    for (int rollbacks = 0;;) {
      std::string lost;
      try {
        if (!conn_) reconnect(deadline, "not connected");
        pqxx::work tx(*conn_);
        auto result = f(tx);
        tx.commit();
        in_doubt_ = false;
        return result;
      } catch (const pqxx::in_doubt_error& e) {
        in_doubt_ = true;  // the commit may have happened: the retry accepts its own result
        lost = one_line(e.what());
      } catch (const pqxx::broken_connection& e) {
        lost = one_line(e.what());
      } catch (const pqxx::transaction_rollback& e) {
        if (++rollbacks > 50) throw StorageError(shown_ + ": " + one_line(e.what()));
        std::this_thread::sleep_for(std::chrono::milliseconds(5 * rollbacks));
        continue;
      } catch (const pqxx::failure& e) {
        // An administrator's shutdown arrives as an error on a connection that is then closed.
        if (conn_ && conn_->is_open()) throw StorageError(shown_ + ": " + one_line(e.what()));
        lost = one_line(e.what());
      }
      reconnect(deadline, lost);
    }
  }

  // Inside a lease write: LeaseLost (rolling the transaction back) unless `lease` holds.
  static void require(pqxx::work& tx, const Lease& lease) {
    if (tx.exec_params(std::string("SELECT 1 FROM trials WHERE ") + kHeldBy + " FOR UPDATE",
                       lease.trial_id, lease.worker, lease.attempt)
            .empty())
      throw LeaseLost(lease);
  }

  // After a commit in doubt: whether the state change under `lease` already happened.
  bool settled(pqxx::work& tx, const Lease& lease, const char* state) {
    if (!in_doubt_) return false;
    return !tx.exec_params(
                  "SELECT 1 FROM trials WHERE id = $1 AND state = $4 AND worker = $2 "
                  "AND attempts = $3",
                  lease.trial_id, lease.worker, lease.attempt, std::string(state))
                .empty();
  }

  static int set_state(pqxx::work& tx, const Lease& lease, const char* state,
                       const std::string& failure) {
    const bool interrupted = std::string(state) == "interrupted";
    const auto r =
        tx.exec_params(std::string("UPDATE trials SET state = $4, failure = NULLIF($5, "
                                   "''), finished_at = ") +
                           (interrupted ? "NULL" : kNowSql) + " WHERE " + kHeldBy,
                       lease.trial_id, lease.worker, lease.attempt, std::string(state), failure);
    if (r.affected_rows() == 0) throw LeaseLost(lease);
    return static_cast<int>(r.affected_rows());
  }

  static void upsert_checkpoint(pqxx::work& tx, int64_t id, const StoredCheckpoint& c) {
    tx.exec_params(std::string("INSERT INTO checkpoints(trial_id, epochs, attempt, bytes, "
                               "saved_at) VALUES ($1, $2, $3, $4, ") +
                       kNowSql +
                       ") ON CONFLICT (trial_id) DO UPDATE SET epochs = EXCLUDED.epochs, "
                       "attempt = EXCLUDED.attempt, bytes = EXCLUDED.bytes, saved_at = "
                       "EXCLUDED.saved_at",
                   id, c.epochs, c.attempt, pqxx::binarystring(c.bytes));
  }

  static void upsert_epoch(pqxx::work& tx, int64_t id, const EpochRow& r) {
    tx.exec_params(
        "INSERT INTO epochs(trial_id, epoch, lr, train_loss, train_accuracy, val_accuracy, "
        "test_accuracy, test_top5, seconds) VALUES ($1, $2, $3::float8, $4::float8, $5::float8, "
        "$6::float8, $7::float8, $8::float8, $9::float8) ON CONFLICT (trial_id, epoch) DO "
        "UPDATE SET lr = EXCLUDED.lr, train_loss = EXCLUDED.train_loss, train_accuracy = "
        "EXCLUDED.train_accuracy, val_accuracy = EXCLUDED.val_accuracy, test_accuracy = "
        "EXCLUDED.test_accuracy, test_top5 = EXCLUDED.test_top5, seconds = EXCLUDED.seconds",
        id, r.epoch, real(r.lr), real(r.train_loss), real(r.train_accuracy), real(r.val_accuracy),
        real(r.test_accuracy), real(r.test_top5), real(r.seconds));
  }

  static void insert_layers(pqxx::work& tx, int64_t id, const std::vector<LayerRow>& layers) {
    for (const auto& l : layers)
      tx.exec_params(
          "INSERT INTO layer_precisions(trial_id, layer_index, name, role, "
          "weight_bits, input_bits, fp_fraction) VALUES ($1, $2, $3, $4, $5, $6, "
          "$7::float8)",
          id, l.index, l.name, l.role, l.weight_bits, l.input_bits, real(l.fp_fraction));
  }

  // Records a setting against trial `id` unless it has it (the caller holds the trial's row).
  static void add_setting(pqxx::work& tx, int64_t id, const std::string& family,
                          const json& params) {
    tx.exec_params(
        "INSERT INTO trial_settings(trial_id, seq, family, params_json) SELECT $1, "
        "coalesce(max(seq), 0) + 1, $2, $3 FROM trial_settings WHERE trial_id = $1 ON "
        "CONFLICT (trial_id, family, params_json) DO NOTHING",
        id, family, params.dump());
  }

  // A copied trial's objectives, epochs, points and checkpoint; inside import_trial.
  static void import_results(pqxx::work& tx, int64_t id, const TrialCopy& c) {
    upsert_objectives(tx, id, c.record.objectives);
    for (const auto& e : c.epochs) upsert_epoch(tx, id, e);
    insert_points(tx, id, c.record.points);
    if (c.checkpoint) upsert_checkpoint(tx, id, *c.checkpoint);
    for (const auto& r : c.rungs)  // the source's promotion time is not carried
      tx.exec_params(
          "INSERT INTO rungs(trial_id, rung, epochs, accuracy, reached_at, promoted_at) VALUES "
          "($1, $2, $3, $4::float8, $5::float8, CASE WHEN $6 THEN $5::float8 END) ON CONFLICT "
          "(trial_id, rung) DO UPDATE SET epochs = EXCLUDED.epochs, accuracy = "
          "EXCLUDED.accuracy, reached_at = EXCLUDED.reached_at, promoted_at = "
          "EXCLUDED.promoted_at",
          id, r.rung, r.epochs, real(r.accuracy), real(r.reached_at), r.promoted);
  }

  static void upsert_objectives(pqxx::work& tx, int64_t id,
                                const std::map<std::string, double>& values) {
    for (const auto& [name, value] : values)
      tx.exec_params(
          "INSERT INTO objectives(trial_id, name, value) VALUES ($1, $2, $3::float8) "
          "ON CONFLICT (trial_id, name) DO UPDATE SET value = EXCLUDED.value",
          id, name, real(value));
  }

  static int insert_points(pqxx::work& tx, int64_t id, const std::vector<PointRow>& points) {
    int added = 0;
    for (const auto& p : points)
      added += static_cast<int>(
          tx.exec_params("INSERT INTO trial_points(trial_id, thresholds_json, accuracy, "
                         "energy_pj, edge_energy_pj, cloud_energy_pj, exit_share_json, "
                         "exit_accuracy_json) VALUES ($1, $2, $3::float8, $4::float8, "
                         "$5::float8, $6::float8, $7, $8) ON CONFLICT DO NOTHING",
                         id, json(p.thresholds).dump(), real(p.accuracy), real(p.energy_pj),
                         real(p.edge_energy_pj), real(p.cloud_energy_pj), json(p.exit_share).dump(),
                         json(p.exit_accuracy).dump())
              .affected_rows());
    return added;
  }

  // One trial of add_trials, inside its transaction.
  static std::pair<int64_t, bool> insert_trial(pqxx::work& tx, int64_t study, const NewTrial& t) {
    int64_t id = 0;
    bool is_new = false;
    const auto ins = tx.exec_params(
        std::string("INSERT INTO trials(study_id, trial_key, family, params_json, plan_json, "
                    "plan_hash, config_json, priority, state, created_at) VALUES ($1, $2, $3, $4, "
                    "$5, $6, $7, $8, 'pending', ") +
            kNowSql + ") ON CONFLICT (study_id, trial_key) DO NOTHING RETURNING id",
        study, t.key, t.family, t.params.dump(), t.plan.dump(), t.plan_hash, t.config.dump(),
        t.priority);
    if (!ins.empty()) {
      id = ins[0][0].as<int64_t>();
      is_new = true;
      upsert_objectives(tx, id, t.objectives);
      insert_layers(tx, id, t.layers);
    } else {
      // The row lock orders concurrent writers of this trial's settings (their seq numbers).
      id = tx.exec_params1(
                 "SELECT id FROM trials WHERE study_id = $1 AND trial_key = $2 FOR "
                 "UPDATE",
                 study, t.key)[0]
               .as<int64_t>();
      // A baseline claimed later by an analysis family keeps the higher priority.
      tx.exec_params(
          "UPDATE trials SET priority = greatest(priority, $2) WHERE id = $1 AND "
          "state != 'done' AND priority < $2",
          id, t.priority);
    }
    add_setting(tx, id, t.family, t.params);
    return {id, is_new};
  }

  std::vector<TrialRecord> select_trials(pqxx::work& tx, const std::string& where, int64_t arg) {
    std::vector<TrialRecord> out;
    std::map<int64_t, size_t> index;
    for (const auto& q : tx.exec_params(
             "SELECT t.id, t.study_id, t.trial_key, t.family, t.params_json, t.plan_json, "
             "t.plan_hash, t.config_json, t.priority, t.state, t.worker, t.attempts, "
             "t.created_at, t.started_at, t.finished_at, t.heartbeat_at, t.progress_json, "
             "t.failure, " +
                 std::string(version_ >= 4 ? "t.rung" : "0") +
                 ", (SELECT max(e.epoch) FROM epochs e WHERE e.trial_id = t.id) FROM trials t "
                 "WHERE " +
                 where + " ORDER BY t.id",
             arg)) {
      TrialRecord r;
      r.id = q[0].as<int64_t>();
      r.study_id = q[1].as<int64_t>();
      r.key = q[2].c_str();
      r.family = current_family_name(q[3].c_str());
      r.params = json_field(q[4]);
      r.plan = json_field(q[5]);
      r.plan_hash = q[6].c_str();
      r.config = json_field(q[7]);
      r.priority = q[8].as<int>();
      r.state = parse_state(q[9].c_str());
      r.worker = text_or_empty(q[10]);
      r.attempts = q[11].as<int>();
      r.created_at = real_or_zero(q[12]);
      r.started_at = real_or_zero(q[13]);
      r.finished_at = real_or_zero(q[14]);
      r.heartbeat_at = real_or_zero(q[15]);
      r.progress = json_field(q[16]);
      r.failure = text_or_empty(q[17]);
      r.rung = q[18].as<int>();
      r.epochs_done = q[19].is_null() ? 0 : q[19].as<int>();
      index[r.id] = out.size();
      out.push_back(std::move(r));
    }
    if (out.empty()) return out;
    for (const auto& s : tx.exec_params("SELECT s.trial_id, s.family, s.params_json FROM "
                                        "trial_settings s JOIN trials t ON t.id = s.trial_id "
                                        "WHERE " +
                                            where + " ORDER BY s.trial_id, s.seq",
                                        arg)) {
      // A setting stored under an old family spelling and again under today's is one setting.
      Setting setting{current_family_name(s[1].c_str()), json_field(s[2])};
      auto& settings = out[index.at(s[0].as<int64_t>())].settings;
      bool seen = false;
      for (const auto& x : settings)
        seen = seen || (x.family == setting.family && x.params == setting.params);
      if (!seen) settings.push_back(std::move(setting));
    }
    for (const auto& o : tx.exec_params("SELECT o.trial_id, o.name, o.value FROM objectives o "
                                        "JOIN trials t ON t.id = o.trial_id WHERE " +
                                            where,
                                        arg))
      out[index.at(o[0].as<int64_t>())].objectives[o[1].c_str()] = o[2].as<double>();
    for (const auto& p : tx.exec_params(
             "SELECT p.trial_id, p.thresholds_json, p.accuracy, p.energy_pj, p.edge_energy_pj, "
             "p.cloud_energy_pj, p.exit_share_json, p.exit_accuracy_json FROM trial_points p "
             "JOIN trials t ON t.id = p.trial_id WHERE " +
                 where,
             arg)) {
      PointRow r;
      r.thresholds = doubles(p[1]);
      r.accuracy = p[2].as<double>();
      r.energy_pj = p[3].as<double>();
      r.edge_energy_pj = p[4].as<double>();
      r.cloud_energy_pj = p[5].as<double>();
      r.exit_share = doubles(p[6]);
      r.exit_accuracy = doubles(p[7]);
      out[index.at(p[0].as<int64_t>())].points.push_back(std::move(r));
    }
    for (auto& t : out)  // by thresholds, as numbers (as text "[10]" < "[2]")
      std::sort(t.points.begin(), t.points.end(),
                [](const PointRow& a, const PointRow& b) { return a.thresholds < b.thresholds; });
    return out;
  }

  // The database as found: ours (its schema version), empty (0), or refused before any write.
  int inspect(pqxx::transaction_base& tx, bool migrating) {
    const auto found = tx.exec1(
        "SELECT to_regclass('hybridnet_meta') IS NOT NULL, (SELECT count(*) FROM "
        "pg_catalog.pg_tables WHERE schemaname = current_schema())");
    const bool ours = found[0].as<bool>();
    const long long tables = found[1].as<long long>();
    if (!ours) {
      if (tables > 0)
        throw StorageError(shown_ + ": not a hybridnet database (it has " + std::to_string(tables) +
                           " tables of another program and no hybridnet_meta); refusing to "
                           "touch it");
      if (!migrating)
        throw StorageError(shown_ +
                           ": no hybridnet study store in this database (a sweep "
                           "creates it)");
      return 0;
    }
    std::string application;
    int version = -1;
    for (const auto& r : tx.exec("SELECT key, value FROM hybridnet_meta")) {
      const std::string key = r[0].c_str();
      if (key == "application") application = r[1].c_str();
      if (key == "schema_version") version = std::atoi(r[1].c_str());
    }
    if (application != kPostgresApplication)
      throw StorageError(shown_ + ": not a hybridnet database (hybridnet_meta names '" +
                         application + "'); refusing to touch it");
    if (version > kSchemaVersion)
      throw StorageError(shown_ + ": schema version " + std::to_string(version) +
                         " is newer than this hybridnet's (" + std::to_string(kSchemaVersion) +
                         "); use a newer hybridnet");
    if (version < 1)
      throw StorageError(shown_ +
                         ": hybridnet_meta has no valid schema_version; refusing to "
                         "touch it");
    return version;
  }

  // Creates or migrates the schema in one transaction. Workers that start together queue on
  // an advisory lock: the first creates the tables, the others then find them (no race on
  // CREATE TABLE).
  void migrate() {
    pqxx::work tx(*conn_);
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
    int version = inspect(tx, /*migrating=*/true);
    if (version == kSchemaVersion) return;  // nothing to do: the transaction rolls back
    for (const auto& step : postgres_migrations())
      if (step.from == version) {
        tx.exec(step.sql);
        version = step.to;
      }
    if (version != kSchemaVersion)
      throw StorageError(shown_ + ": no migration from schema version " + std::to_string(version));
    tx.exec_params(
        "INSERT INTO hybridnet_meta(key, value) VALUES ('application', $1), "
        "('schema_version', $2) ON CONFLICT (key) DO UPDATE SET value = "
        "EXCLUDED.value",
        std::string(kPostgresApplication), std::to_string(kSchemaVersion));
    tx.commit();
  }

  std::string url_, shown_;
  OpenMode mode_;
  std::string run_files_root_ = local_run_files_root(shown_);
  const int reconnect_limit_ = reconnect_seconds();
  std::unique_ptr<pqxx::connection> conn_;
  std::mutex mutex_;
  bool in_doubt_ = false, warned_ = false;
  int version_ = kSchemaVersion;  // of the database as read; read-write opens migrate it
};

}  // namespace

int reconnect_seconds() {
  const char* env = std::getenv("HYBRIDNET_PG_RECONNECT_SECONDS");
  if (env && *env) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end && *end == '\0' && v >= 0) return static_cast<int>(v);
  }
  return 600;
}

std::string redact_postgres_url(const std::string& url) {
  std::string out = url;
  // postgresql://user:secret@host -> postgresql://user:***@host
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto at = out.find('@', start);
    const auto slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // ...?password=secret&... -> password=***
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const auto value = p + 9;
    auto end = out.find_first_of("& ", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

std::unique_ptr<Store> open_postgres_store(const std::string& url, OpenMode mode) {
  return std::make_unique<PostgresStore>(url, mode);
}

}  // namespace hybridnet::db
