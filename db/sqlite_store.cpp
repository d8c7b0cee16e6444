// SQLite implementation of the Store (SQLiteCpp). WAL mode, so readers (`hybridnet status`) never
// block the sweep; every write is an IMMEDIATE transaction, so two processes never deadlock on a
// read-to-write upgrade and a busy database is waited for (busy timeout) rather than failed.
// Identity: PRAGMA application_id marks our files; PRAGMA user_version is the schema version.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "db/schema.h"
#include "db/store.h"
#include "models/error.h"

namespace hybridnet::db {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The store's clock (the one every worker's heartbeat is measured on): Unix seconds as this
// SQLite library sees them, with milliseconds (unixepoch('subsec') needs SQLite 3.42).
constexpr const char* kNowSql = "(julianday('now') - 2440587.5) * 86400.0";

constexpr int kBusyTimeoutMs = 60000;

json parse_json_column(const SQLite::Column& c) {
  if (c.isNull()) return json();
  return json::parse(c.getString(), nullptr, /*allow_exceptions=*/false);
}

std::vector<double> doubles(const SQLite::Column& c) {
  const json j = parse_json_column(c);
  std::vector<double> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_number()) out.push_back(v.get<double>());
  return out;
}

double real_or_zero(const SQLite::Column& c) { return c.isNull() ? 0.0 : c.getDouble(); }

// A database that no one has open in WAL mode (no PATH-wal beside it) holds everything in its
// one file: read it as immutable, which takes no locks and creates no -shm/-wal files, so
// that a read-only file, directory or mount can be queried and a refused file stays untouched.
// With a -wal (a sweep is running, or crashed) a reader must see the log: an ordinary read-only
// connection.
std::unique_ptr<SQLite::Database> open_for_reading(const std::string& path, int busy_timeout_ms) {
  if (fs::exists(path + "-wal"))
    return std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, busy_timeout_ms);
  std::string uri = "file:";
  for (const unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x21 || c >= 0x7f) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      uri += hex;
    } else {
      uri += static_cast<char>(c);
    }
  }
  uri += "?mode=ro&immutable=1";
  return std::make_unique<SQLite::Database>(uri, SQLite::OPEN_READONLY | SQLite::OPEN_URI,
                                            busy_timeout_ms);
}

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::string& path, OpenMode mode) : path_(path) {
    const bool exists = fs::exists(path) && fs::file_size(path) > 0;
    if (!exists && mode == OpenMode::kReadOnly)
      throw StorageError(path + ": no such database (a sweep creates it)");
    if (exists) inspect(mode);  // before any write: a foreign or newer file stays untouched
    try {
      if (!exists && fs::path(path).has_parent_path())
        fs::create_directories(fs::path(path).parent_path());
      db_ = mode == OpenMode::kReadOnly
                ? open_for_reading(path, kBusyTimeoutMs)
                : std::make_unique<SQLite::Database>(
                      path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, kBusyTimeoutMs);
      db_->exec("PRAGMA foreign_keys = ON");
      if (mode == OpenMode::kReadWrite) {
        // Two processes creating a database at once: switching it to WAL while the other
        // holds a lock is SQLITE_BUSY at once, without the busy timeout (SQLite's deadlock
        // avoidance): wait and try again, as the timeout would.
        retry_busy([&] { db_->exec("PRAGMA journal_mode = WAL"); });
        db_->exec("PRAGMA synchronous = NORMAL");
        retry_busy([&] { migrate(); });
      }
    } catch (const SQLite::Exception& e) {
      throw StorageError(path + ": " + e.what());
    }
  }

  int64_t open_study(const std::string& name, const json& space) override {
    return write([&] {
      SQLite::Statement find(*db_, "SELECT id FROM studies WHERE name = ?");
      find.bind(1, name);
      if (find.executeStep()) {
        const int64_t id = find.getColumn(0).getInt64();
        SQLite::Statement up(*db_, "UPDATE studies SET space_json = ? WHERE id = ?");
        up.bind(1, space.dump());
        up.bind(2, id);
        up.exec();
        return id;
      }
      SQLite::Statement ins(*db_,
                            "INSERT INTO studies(name, space_json, created_at) VALUES (?, ?, ?)");
      ins.bind(1, name);
      ins.bind(2, space.dump());
      ins.bind(3, store_now());
      ins.exec();
      return static_cast<int64_t>(db_->getLastInsertRowid());
    });
  }

  std::optional<StudyRecord> find_study(const std::string& name) override {
    for (auto& s : studies())
      if (s.name == name) return s;
    return std::nullopt;
  }

  std::vector<StudyRecord> studies() override {
    return read([&] {
      std::vector<StudyRecord> out;
      SQLite::Statement q(*db_, "SELECT id, name, space_json, created_at FROM studies ORDER BY id");
      while (q.executeStep())
        out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                       parse_json_column(q.getColumn(2)), q.getColumn(3).getDouble()});
      return out;
    });
  }

  std::vector<std::pair<int64_t, bool>> add_trials(int64_t study,
                                                   const std::vector<NewTrial>& trials) override {
    return write([&] {
      std::vector<std::pair<int64_t, bool>> out;
      for (const auto& t : trials) out.push_back(insert_trial(study, t));
      return out;
    });
  }

  // One trial of add_trials, inside its transaction.
  std::pair<int64_t, bool> insert_trial(int64_t study, const NewTrial& t) {
    int64_t id = 0;
    bool is_new = false;
    SQLite::Statement find(*db_, "SELECT id FROM trials WHERE study_id = ? AND trial_key = ?");
    find.bind(1, study);
    find.bind(2, t.key);
    if (find.executeStep()) {
      id = find.getColumn(0).getInt64();
      // A baseline claimed later by an analysis family keeps the higher priority.
      SQLite::Statement up(*db_,
                           "UPDATE trials SET priority = max(priority, ?) WHERE id = ? AND "
                           "state != 'done'");
      up.bind(1, t.priority);
      up.bind(2, id);
      up.exec();
    } else {
      SQLite::Statement ins(
          *db_,
          "INSERT INTO trials(study_id, trial_key, family, params_json, plan_json, plan_hash, "
          "config_json, priority, state, created_at) VALUES (?,?,?,?,?,?,?,?,'pending',?)");
      ins.bind(1, study);
      ins.bind(2, t.key);
      ins.bind(3, t.family);
      ins.bind(4, t.params.dump());
      ins.bind(5, t.plan.dump());
      ins.bind(6, t.plan_hash);
      ins.bind(7, t.config.dump());
      ins.bind(8, t.priority);
      ins.bind(9, store_now());
      ins.exec();
      id = db_->getLastInsertRowid();
      is_new = true;
      upsert_objectives(id, t.objectives);
      insert_layers(id, t.layers);
    }
    add_setting(id, t.family, t.params);
    return std::make_pair(id, is_new);
  }

  // Records a setting against trial `id` unless it has it; inside a write transaction.
  void add_setting(int64_t id, const std::string& family, const json& params) {
    SQLite::Statement set(*db_,
                          "INSERT OR IGNORE INTO trial_settings(trial_id, seq, family, "
                          "params_json) SELECT ?, coalesce(max(seq), 0) + 1, ?, ? FROM "
                          "trial_settings WHERE trial_id = ?");
    set.bind(1, id);
    set.bind(2, family);
    set.bind(3, params.dump());
    set.bind(4, id);
    set.exec();
  }

  ImportOutcome import_trial(int64_t study, const TrialCopy& c) override {
    return write([&] {
      const TrialRecord& r = c.record;
      SQLite::Statement find(*db_,
                             "SELECT id, state FROM trials WHERE study_id = ? AND trial_key = ?");
      find.bind(1, study);
      find.bind(2, r.key);
      ImportOutcome outcome = ImportOutcome::kUnchanged;
      int64_t id = 0;
      // A running copy's worker belongs to the other store: here it is interrupted.
      const std::string state =
          r.state == TrialState::kRunning ? "interrupted" : to_string(r.state);
      if (!find.executeStep()) {
        SQLite::Statement ins(
            *db_,
            "INSERT INTO trials(study_id, trial_key, family, params_json, plan_json, plan_hash, "
            "config_json, priority, state, worker, attempts, created_at, started_at, "
            "finished_at, heartbeat_at, progress_json, failure, rung) VALUES "
            "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        ins.bind(1, study);
        ins.bind(2, r.key);
        ins.bind(3, r.family);
        ins.bind(4, r.params.dump());
        ins.bind(5, r.plan.dump());
        ins.bind(6, r.plan_hash);
        ins.bind(7, r.config.dump());
        ins.bind(8, r.priority);
        ins.bind(9, state);
        bind_text_or_null(ins, 10, r.worker);
        ins.bind(11, r.attempts);
        ins.bind(12, r.created_at);
        bind_time(ins, 13, r.started_at);
        bind_time(ins, 14, r.finished_at);
        bind_time(ins, 15, r.heartbeat_at);
        bind_text_or_null(ins, 16, r.progress.is_null() ? "" : r.progress.dump());
        bind_text_or_null(ins, 17, r.failure);
        ins.bind(18, r.rung);
        ins.exec();
        id = db_->getLastInsertRowid();
        insert_layers(id, c.layers);
        import_results(id, c);
        outcome = ImportOutcome::kAdded;
      } else {
        id = find.getColumn(0).getInt64();
        if (find.getColumn(1).getString() != "done" && r.state == TrialState::kDone) {
          SQLite::Statement up(*db_,
                               "UPDATE trials SET state = 'done', worker = ?, attempts = ?, "
                               "started_at = ?, finished_at = ?, heartbeat_at = ?, "
                               "progress_json = ?, failure = NULL, rung = ? WHERE id = ?");
          bind_text_or_null(up, 1, r.worker);
          up.bind(2, r.attempts);
          bind_time(up, 3, r.started_at);
          bind_time(up, 4, r.finished_at);
          bind_time(up, 5, r.heartbeat_at);
          bind_text_or_null(up, 6, r.progress.is_null() ? "" : r.progress.dump());
          up.bind(7, r.rung);
          up.bind(8, id);
          up.exec();
          SQLite::Statement drop(*db_, "DELETE FROM epochs WHERE trial_id = ?");
          drop.bind(1, id);
          drop.exec();
          import_results(id, c);
          outcome = ImportOutcome::kUpdated;
        }
      }
      for (const auto& setting : r.settings) add_setting(id, setting.family, setting.params);
      return outcome;
    });
  }

  // A copied trial's objectives, epochs, points and checkpoint; inside import_trial.
  void import_results(int64_t id, const TrialCopy& c) {
    upsert_objectives(id, c.record.objectives);
    for (const auto& e : c.epochs) upsert_epoch(id, e);
    insert_points(id, c.record.points);
    if (c.checkpoint) upsert_checkpoint(id, *c.checkpoint);
    SQLite::Statement rung(*db_,
                           "INSERT OR REPLACE INTO rungs(trial_id, rung, epochs, accuracy, "
                           "reached_at, promoted_at) VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& r : c.rungs) {
      rung.bind(1, id);
      rung.bind(2, r.rung);
      rung.bind(3, r.epochs);
      rung.bind(4, r.accuracy);
      rung.bind(5, r.reached_at);
      if (r.promoted)
        rung.bind(6, r.reached_at);  // the source's promotion time is not carried
      else
        rung.bind(6);
      rung.exec();
      rung.reset();
    }
  }

  // Objective values of trial `id`, replacing those of the same names.
  void upsert_objectives(int64_t id, const std::map<std::string, double>& values) {
    SQLite::Statement obj(*db_,
                          "INSERT OR REPLACE INTO objectives(trial_id, name, value) VALUES (?, ?, "
                          "?)");
    for (const auto& [name, value] : values) {
      obj.bind(1, id);
      obj.bind(2, name);
      obj.bind(3, value);
      obj.exec();
      obj.reset();
    }
  }

  // An epoch row of trial `id`, replacing one of the same epoch.
  void upsert_epoch(int64_t id, const EpochRow& r) {
    SQLite::Statement ins(*db_,
                          "INSERT OR REPLACE INTO epochs(trial_id, epoch, lr, train_loss, "
                          "train_accuracy, val_accuracy, test_accuracy, test_top5, seconds) "
                          "VALUES (?,?,?,?,?,?,?,?,?)");
    ins.bind(1, id);
    ins.bind(2, r.epoch);
    ins.bind(3, r.lr);
    ins.bind(4, r.train_loss);
    ins.bind(5, r.train_accuracy);
    ins.bind(6, r.val_accuracy);
    ins.bind(7, r.test_accuracy);
    ins.bind(8, r.test_top5);
    ins.bind(9, r.seconds);
    ins.exec();
  }

  void insert_layers(int64_t id, const std::vector<LayerRow>& layers) {
    SQLite::Statement lay(*db_,
                          "INSERT INTO layer_precisions(trial_id, layer_index, name, role, "
                          "weight_bits, input_bits, fp_fraction) VALUES (?,?,?,?,?,?,?)");
    for (const auto& l : layers) {
      lay.bind(1, id);
      lay.bind(2, l.index);
      lay.bind(3, l.name);
      lay.bind(4, l.role);
      lay.bind(5, l.weight_bits);
      lay.bind(6, l.input_bits);
      lay.bind(7, l.fp_fraction);
      lay.exec();
      lay.reset();
    }
  }

  void upsert_checkpoint(int64_t id, const StoredCheckpoint& c) {
    SQLite::Statement ins(*db_, std::string("INSERT OR REPLACE INTO checkpoints(trial_id, epochs, "
                                            "attempt, bytes, saved_at) VALUES (?, ?, ?, ?, ") +
                                    kNowSql + ")");
    ins.bind(1, id);
    ins.bind(2, c.epochs);
    ins.bind(3, c.attempt);
    ins.bind(4, c.bytes.data(), static_cast<int>(c.bytes.size()));
    ins.exec();
  }

  static void bind_text_or_null(SQLite::Statement& q, int index, const std::string& text) {
    if (text.empty())
      q.bind(index);
    else
      q.bind(index, text);
  }
  // Times of 0 are the record's "never" (NULL in the table).
  static void bind_time(SQLite::Statement& q, int index, double t) {
    if (t == 0)
      q.bind(index);
    else
      q.bind(index, t);
  }

  std::optional<TrialRecord> claim_trial(int64_t study, const std::string& worker,
                                         double stale_seconds) override {
    const std::optional<int64_t> claimed = write([&]() -> std::optional<int64_t> {
      const double now = store_now();
      SQLite::Statement q(*db_,
                          "SELECT id FROM trials WHERE study_id = ? AND (state IN ('pending', "
                          "'interrupted') OR (state = 'running' AND heartbeat_at < ?)) "
                          "ORDER BY priority DESC, rung DESC, id LIMIT 1");
      q.bind(1, study);
      q.bind(2, now - stale_seconds);
      if (!q.executeStep()) return std::nullopt;
      const int64_t id = q.getColumn(0).getInt64();
      SQLite::Statement up(*db_,
                           "UPDATE trials SET state = 'running', worker = ?, attempts = attempts "
                           "+ 1, started_at = coalesce(started_at, ?), heartbeat_at = ?, "
                           "progress_json = NULL, failure = NULL WHERE id = ?");
      up.bind(1, worker);
      up.bind(2, now);
      up.bind(3, now);
      up.bind(4, id);
      up.exec();
      return id;
    });
    if (!claimed) return std::nullopt;
    return trial(*claimed);
  }

  bool release_trial(int64_t id, const std::string& worker) override {
    return write([&] {
      SQLite::Statement up(*db_,
                           "UPDATE trials SET state = 'interrupted' WHERE id = ? AND state = "
                           "'running' AND worker = ?");
      up.bind(1, id);
      up.bind(2, worker);
      return up.exec() > 0;
    });
  }

  void heartbeat(const Lease& lease, const json& progress) override {
    write([&] {
      SQLite::Statement up(*db_, std::string("UPDATE trials SET heartbeat_at = ") + kNowSql +
                                     ", progress_json = ? WHERE " + kHeldBy);
      up.bind(1, progress.dump());
      bind_lease(up, 2, lease);
      if (up.exec() == 0) throw LeaseLost(lease);
      return 0;
    });
  }

  void add_epoch(const Lease& lease, const EpochRow& r) override {
    write([&] {
      require(lease);
      upsert_epoch(lease.trial_id, r);
      return 0;
    });
  }

  void finish_trial(const Lease& lease, const std::map<std::string, double>& objectives,
                    const std::vector<PointRow>& points) override {
    write([&] {
      require(lease);
      upsert_objectives(lease.trial_id, objectives);
      insert_points(lease.trial_id, points);
      set_state(lease, "done", "");
      return 0;
    });
  }

  void fail_trial(const Lease& lease, const std::string& reason) override {
    write([&] { return set_state(lease, "failed", reason); });
  }

  void interrupt_trial(const Lease& lease) override {
    write([&] { return set_state(lease, "interrupted", ""); });
  }

  void stop_at_rung(const Lease& lease, int epochs, double accuracy) override {
    write([&] {
      require(lease);
      SQLite::Statement ins(*db_, std::string("INSERT OR REPLACE INTO rungs(trial_id, rung, "
                                              "epochs, accuracy, reached_at, promoted_at) "
                                              "SELECT id, rung, ?, ?, ") +
                                      kNowSql + ", NULL FROM trials WHERE id = ?");
      ins.bind(1, epochs);
      ins.bind(2, accuracy);
      ins.bind(3, lease.trial_id);
      ins.exec();
      return set_state(lease, "stopped", "");
    });
  }

  bool promote_trial(int64_t id, int rung, int limit) override {
    return write([&] {  // one IMMEDIATE transaction: writers of the file take turns
      if (promoted_from(id, rung) >= limit) return false;
      SQLite::Statement up(*db_,
                           "UPDATE trials SET state = 'pending', rung = rung + 1, finished_at = "
                           "NULL WHERE id = ? AND state = 'stopped' AND rung = ?");
      up.bind(1, id);
      up.bind(2, rung);
      if (up.exec() == 0) return false;
      SQLite::Statement mark(*db_, std::string("UPDATE rungs SET promoted_at = ") + kNowSql +
                                       " WHERE trial_id = ? AND rung = ?");
      mark.bind(1, id);
      mark.bind(2, rung);
      mark.exec();
      return true;
    });
  }

  // Trials of trial `id`'s study promoted from rung `rung` so far; inside a transaction.
  int promoted_from(int64_t id, int rung) {
    SQLite::Statement q(*db_,
                        "SELECT count(*) FROM rungs r JOIN trials t ON t.id = r.trial_id WHERE "
                        "t.study_id = (SELECT study_id FROM trials WHERE id = ?) AND r.rung = ? "
                        "AND r.promoted_at IS NOT NULL");
    q.bind(1, id);
    q.bind(2, rung);
    q.executeStep();
    return q.getColumn(0).getInt();
  }

  std::vector<RungRow> rungs(int64_t study) override {
    if (version_ < 4) return {};  // a file read as it is, from before successive halving
    return read([&] {
      std::vector<RungRow> out;
      SQLite::Statement q(*db_,
                          "SELECT r.trial_id, r.rung, r.epochs, r.accuracy, r.reached_at, "
                          "r.promoted_at IS NOT NULL FROM rungs r JOIN trials t ON t.id = "
                          "r.trial_id WHERE t.study_id = ? ORDER BY r.trial_id, r.rung");
      q.bind(1, study);
      while (q.executeStep())
        out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt(), q.getColumn(2).getInt(),
                       q.getColumn(3).getDouble(), q.getColumn(4).getDouble(),
                       q.getColumn(5).getInt() != 0});
      return out;
    });
  }

  int retry_failed(int64_t study) override {
    return write([&] {
      SQLite::Statement up(*db_,
                           "UPDATE trials SET state = 'interrupted', failure = NULL, finished_at = "
                           "NULL WHERE study_id = ? AND state = 'failed'");
      up.bind(1, study);
      return up.exec();
    });
  }

  int add_points(int64_t id, const std::vector<PointRow>& points) override {
    return write([&] { return insert_points(id, points); });
  }

  void add_measurements(int64_t id, const std::map<std::string, double>& values) override {
    write([&] {
      SQLite::Statement state(*db_, "SELECT state FROM trials WHERE id = ?");
      state.bind(1, id);
      if (!state.executeStep() || state.getColumn(0).getString() != "done")
        throw ConfigError("trial #" + std::to_string(id) + " is not done: nothing measured");
      upsert_objectives(id, values);
      return 0;
    });
  }

  std::vector<TrialRecord> trials(int64_t study) override {
    return read([&] { return select_trials("t.study_id = ?", study); });
  }

  std::optional<TrialRecord> trial(int64_t id) override {
    auto v = read([&] { return select_trials("t.id = ?", id); });
    if (v.empty()) return std::nullopt;
    return v.front();
  }

  std::vector<EpochRow> epochs(int64_t id) override {
    return read([&] {
      std::vector<EpochRow> out;
      SQLite::Statement q(*db_,
                          "SELECT epoch, lr, train_loss, train_accuracy, val_accuracy, "
                          "test_accuracy, test_top5, seconds FROM epochs WHERE trial_id = ? "
                          "ORDER BY epoch");
      q.bind(1, id);
      while (q.executeStep()) {
        EpochRow r;
        r.epoch = q.getColumn(0).getInt();
        r.lr = q.getColumn(1).getDouble();
        r.train_loss = q.getColumn(2).getDouble();
        r.train_accuracy = q.getColumn(3).getDouble();
        r.val_accuracy = q.getColumn(4).getDouble();
        r.test_accuracy = q.getColumn(5).getDouble();
        r.test_top5 = q.getColumn(6).getDouble();
        r.seconds = q.getColumn(7).getDouble();
        out.push_back(r);
      }
      return out;
    });
  }

  std::vector<LayerRow> layers(int64_t id) override {
    return read([&] {
      std::vector<LayerRow> out;
      SQLite::Statement q(*db_,
                          "SELECT layer_index, name, role, weight_bits, input_bits, fp_fraction "
                          "FROM layer_precisions WHERE trial_id = ? ORDER BY layer_index");
      q.bind(1, id);
      while (q.executeStep())
        out.push_back({q.getColumn(0).getInt(), q.getColumn(1).getString(),
                       q.getColumn(2).getString(), q.getColumn(3).getInt(), q.getColumn(4).getInt(),
                       q.getColumn(5).getDouble()});
      return out;
    });
  }

  void put_artifact(int64_t study, const std::string& key, const json& value) override {
    write([&] {
      SQLite::Statement ins(*db_,
                            "INSERT OR IGNORE INTO artifacts(study_id, key, value_json, "
                            "created_at) VALUES (?, ?, ?, ?)");
      ins.bind(1, study);
      ins.bind(2, key);
      ins.bind(3, value.dump());
      ins.bind(4, store_now());
      return ins.exec();
    });
  }

  void put_checkpoint(const Lease& lease, int epochs, const std::string& bytes) override {
    write([&] {
      require(lease);
      upsert_checkpoint(lease.trial_id, {epochs, lease.attempt, bytes});
      return 0;
    });
  }

  std::optional<StoredCheckpoint> checkpoint(int64_t id) override {
    if (version_ < 3) return std::nullopt;  // a file read as it is, from before checkpoints
    return read([&]() -> std::optional<StoredCheckpoint> {
      SQLite::Statement q(*db_,
                          "SELECT epochs, attempt, bytes FROM checkpoints WHERE trial_id = ?");
      q.bind(1, id);
      if (!q.executeStep()) return std::nullopt;
      const SQLite::Column bytes = q.getColumn(2);
      return StoredCheckpoint{
          q.getColumn(0).getInt(), q.getColumn(1).getInt(),
          std::string(static_cast<const char*>(bytes.getBlob()), bytes.getBytes())};
    });
  }

  // One machine: its workers share the run files beside the database.
  bool keeps_checkpoints() const override { return false; }

  // Beside the database file: runs.sqlite -> runs.runs/ (the layout of every earlier version).
  std::string default_run_files_root() const override {
    fs::path root(path_);
    root.replace_extension(".runs");
    return root.string();
  }

  const std::string& location() const override { return path_; }

  double now() override {
    return read([&] { return store_now(); });
  }

  std::map<std::string, json> artifacts(int64_t study) override {
    return read([&] {
      std::map<std::string, json> out;
      SQLite::Statement q(*db_, "SELECT key, value_json FROM artifacts WHERE study_id = ?");
      q.bind(1, study);
      while (q.executeStep()) out[q.getColumn(0).getString()] = parse_json_column(q.getColumn(1));
      return out;
    });
  }

  std::optional<json> artifact(int64_t study, const std::string& key) override {
    return read([&]() -> std::optional<json> {
      SQLite::Statement q(*db_, "SELECT value_json FROM artifacts WHERE study_id = ? AND key = ?");
      q.bind(1, study);
      q.bind(2, key);
      if (!q.executeStep()) return std::nullopt;
      return parse_json_column(q.getColumn(0));
    });
  }

 private:
  // Checks a file before anything writes to it: ours, not newer, not corrupt.
  void inspect(OpenMode mode) {
    int64_t app = 0, version = 0, tables = 0;
    std::string check;
    try {
      // One snapshot: a sweep may find another one creating the file at this moment (its
      // writes are in the -wal, so this read goes through the locks) and must see the schema
      // committed or not at all, never the tables without the application id.
      retry_busy([&] {
        const auto ro = open_for_reading(path_, kBusyTimeoutMs);
        SQLite::Transaction snapshot(*ro);
        app = ro->execAndGet("PRAGMA application_id").getInt64();
        version = ro->execAndGet("PRAGMA user_version").getInt64();
        tables = ro->execAndGet("SELECT count(*) FROM sqlite_master").getInt64();
        check = ro->execAndGet("PRAGMA quick_check").getString();
      });
    } catch (const SQLite::Exception& e) {
      throw StorageError(path_ + ": not a SQLite database, or corrupt (" + e.what() + ")");
    }
    if (app != kApplicationId && !(app == 0 && tables == 0 && mode == OpenMode::kReadWrite))
      throw StorageError(path_ + ": not a hybridnet database (SQLite application_id " +
                         std::to_string(app) + "); refusing to touch it");
    if (version > kSchemaVersion)
      throw StorageError(path_ + ": schema version " + std::to_string(version) +
                         " is newer than this hybridnet's (" + std::to_string(kSchemaVersion) +
                         "); use a newer hybridnet");
    if (check != "ok")
      throw StorageError(path_ + ": corrupt database (quick_check: " + check + ")");
    // Readers take every schema from 1 on as it is (later versions only add tables); the
    // first read-write open migrates it.
    if (version < 1 && mode == OpenMode::kReadOnly && app == kApplicationId)
      throw StorageError(path_ + ": schema version " + std::to_string(version) +
                         " needs an upgrade; run a sweep on it (read-write) first");
    version_ = static_cast<int>(version);
  }

  // Runs f again while the database is busy, up to the busy timeout.
  template <class F>
  static void retry_busy(F&& f) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (auto wait = std::chrono::milliseconds(5);;
         wait = std::min(wait * 2, std::chrono::milliseconds(200))) {
      try {
        f();
        return;
      } catch (const SQLite::Exception& e) {
        if ((e.getErrorCode() & 0xff) != SQLITE_BUSY ||
            std::chrono::steady_clock::now() + wait > deadline)
          throw;
      }
      std::this_thread::sleep_for(wait);
    }
  }

  // Brings the schema to kSchemaVersion, one migration per version, in one transaction. Foreign
  // keys are off meanwhile (a pragma that has no effect inside a transaction): migration 3 -> 4
  // rebuilds the trials table, and dropping the old one must not cascade to its children. The
  // references are checked before the commit.
  void migrate() {
    db_->exec("PRAGMA foreign_keys = OFF");
    struct KeysBackOn {
      SQLite::Database& db;
      ~KeysBackOn() { db.exec("PRAGMA foreign_keys = ON"); }
    } back_on{*db_};
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    int version = db_->execAndGet("PRAGMA user_version").getInt();
    if (version == kSchemaVersion) return;  // another process migrated it first
    const auto& steps = schema_migrations();
    for (; version < kSchemaVersion; ++version) db_->exec(steps.at(version));
    SQLite::Statement check(*db_, "PRAGMA foreign_key_check");
    if (check.executeStep())
      throw StorageError(path_ + ": migration broke a reference in table " +
                         check.getColumn(0).getString() + "; the file is left as it was");
    db_->exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    db_->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
    tx.commit();
    version_ = kSchemaVersion;
  }

  int insert_points(int64_t id, const std::vector<PointRow>& points) {
    SQLite::Statement ins(*db_,
                          "INSERT OR IGNORE INTO trial_points(trial_id, thresholds_json, accuracy, "
                          "energy_pj, edge_energy_pj, cloud_energy_pj, exit_share_json, "
                          "exit_accuracy_json) VALUES (?,?,?,?,?,?,?,?)");
    int added = 0;
    for (const auto& p : points) {
      ins.bind(1, id);
      ins.bind(2, json(p.thresholds).dump());
      ins.bind(3, p.accuracy);
      ins.bind(4, p.energy_pj);
      ins.bind(5, p.edge_energy_pj);
      ins.bind(6, p.cloud_energy_pj);
      ins.bind(7, json(p.exit_share).dump());
      ins.bind(8, json(p.exit_accuracy).dump());
      added += ins.exec();
      ins.reset();
    }
    return added;
  }

  // The lease condition of every write under a lease, and its three parameters.
  static constexpr const char* kHeldBy =
      "id = ? AND state = 'running' AND worker = ? AND attempts = ?";
  static void bind_lease(SQLite::Statement& q, int first, const Lease& lease) {
    q.bind(first, lease.trial_id);
    q.bind(first + 1, lease.worker);
    q.bind(first + 2, lease.attempt);
  }

  // Inside a write transaction: throws LeaseLost (rolling it back) unless `lease` holds.
  void require(const Lease& lease) {
    SQLite::Statement q(*db_, std::string("SELECT 1 FROM trials WHERE ") + kHeldBy);
    bind_lease(q, 1, lease);
    if (!q.executeStep()) throw LeaseLost(lease);
  }

  double store_now() { return db_->execAndGet(std::string("SELECT ") + kNowSql).getDouble(); }

  // Running -> `state` under `lease`; LeaseLost when the lease no longer holds.
  int set_state(const Lease& lease, const char* state, const std::string& failure) {
    const bool interrupted = std::string(state) == "interrupted";
    SQLite::Statement up(*db_, std::string("UPDATE trials SET state = ?, failure = ?, "
                                           "finished_at = ") +
                                   (interrupted ? "NULL" : kNowSql) + " WHERE " + kHeldBy);
    up.bind(1, state);
    if (failure.empty())
      up.bind(2);
    else
      up.bind(2, failure);
    bind_lease(up, 3, lease);
    const int changed = up.exec();
    if (changed == 0) throw LeaseLost(lease);
    return changed;
  }

  std::vector<TrialRecord> select_trials(const std::string& where, int64_t arg) {
    std::vector<TrialRecord> out;
    std::map<int64_t, size_t> index;
    SQLite::Statement q(*db_,
                        "SELECT t.id, t.study_id, t.trial_key, t.family, t.params_json, "
                        "t.plan_json, t.plan_hash, t.config_json, t.priority, t.state, t.worker, "
                        "t.attempts, t.created_at, t.started_at, t.finished_at, t.heartbeat_at, "
                        "t.progress_json, t.failure, " +
                            std::string(version_ >= 4 ? "t.rung" : "0") +
                            ", (SELECT max(e.epoch) FROM epochs e WHERE e.trial_id = t.id) "
                            "FROM trials t WHERE " +
                            where + " ORDER BY t.id");
    q.bind(1, arg);
    while (q.executeStep()) {
      TrialRecord r;
      r.id = q.getColumn(0).getInt64();
      r.study_id = q.getColumn(1).getInt64();
      r.key = q.getColumn(2).getString();
      r.family = current_family_name(q.getColumn(3).getString());
      r.params = parse_json_column(q.getColumn(4));
      r.plan = parse_json_column(q.getColumn(5));
      r.plan_hash = q.getColumn(6).getString();
      r.config = parse_json_column(q.getColumn(7));
      r.priority = q.getColumn(8).getInt();
      r.state = parse_state(q.getColumn(9).getString());
      r.worker = q.getColumn(10).isNull() ? "" : q.getColumn(10).getString();
      r.attempts = q.getColumn(11).getInt();
      r.created_at = real_or_zero(q.getColumn(12));
      r.started_at = real_or_zero(q.getColumn(13));
      r.finished_at = real_or_zero(q.getColumn(14));
      r.heartbeat_at = real_or_zero(q.getColumn(15));
      r.progress = parse_json_column(q.getColumn(16));
      r.failure = q.getColumn(17).isNull() ? "" : q.getColumn(17).getString();
      r.rung = q.getColumn(18).getInt();
      r.epochs_done = q.getColumn(19).isNull() ? 0 : q.getColumn(19).getInt();
      index[r.id] = out.size();
      out.push_back(std::move(r));
    }
    SQLite::Statement s(*db_,
                        "SELECT s.trial_id, s.family, s.params_json FROM trial_settings s JOIN "
                        "trials t ON t.id = s.trial_id WHERE " +
                            where + " ORDER BY s.trial_id, s.seq");
    s.bind(1, arg);
    while (s.executeStep()) {
      // A setting stored under an old family spelling and again under today's is one setting.
      Setting setting{current_family_name(s.getColumn(1).getString()),
                      parse_json_column(s.getColumn(2))};
      auto& settings = out[index.at(s.getColumn(0).getInt64())].settings;
      bool seen = false;
      for (const auto& x : settings)
        seen = seen || (x.family == setting.family && x.params == setting.params);
      if (!seen) settings.push_back(std::move(setting));
    }
    SQLite::Statement o(*db_,
                        "SELECT o.trial_id, o.name, o.value FROM objectives o JOIN trials t ON "
                        "t.id = o.trial_id WHERE " +
                            where);
    o.bind(1, arg);
    while (o.executeStep())
      out[index.at(o.getColumn(0).getInt64())].objectives[o.getColumn(1).getString()] =
          o.getColumn(2).getDouble();
    if (version_ < 2) return out;  // a schema-1 file read as it is: no operating points
    SQLite::Statement p(*db_,
                        "SELECT p.trial_id, p.thresholds_json, p.accuracy, p.energy_pj, "
                        "p.edge_energy_pj, p.cloud_energy_pj, p.exit_share_json, "
                        "p.exit_accuracy_json FROM trial_points p JOIN trials t ON t.id = "
                        "p.trial_id WHERE " +
                            where);
    p.bind(1, arg);
    while (p.executeStep()) {
      PointRow r;
      r.thresholds = doubles(p.getColumn(1));
      r.accuracy = p.getColumn(2).getDouble();
      r.energy_pj = p.getColumn(3).getDouble();
      r.edge_energy_pj = p.getColumn(4).getDouble();
      r.cloud_energy_pj = p.getColumn(5).getDouble();
      r.exit_share = doubles(p.getColumn(6));
      r.exit_accuracy = doubles(p.getColumn(7));
      out[index.at(p.getColumn(0).getInt64())].points.push_back(std::move(r));
    }
    for (auto& t : out)  // by thresholds, as numbers (the text order of "[10]" < "[2]" is not)
      std::sort(t.points.begin(), t.points.end(),
                [](const PointRow& a, const PointRow& b) { return a.thresholds < b.thresholds; });
    return out;
  }

  // Every write: serialised within the process, one IMMEDIATE transaction across processes.
  template <class F>
  auto write(F&& f) -> decltype(f()) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      auto result = f();
      tx.commit();
      return result;
    } catch (const SQLite::Exception& e) {
      throw StorageError(path_ + ": " + e.what());
    }
  }

  // Every read: one snapshot (a deferred transaction never upgrades to a write).
  template <class F>
  auto read(F&& f) -> decltype(f()) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      SQLite::Transaction tx(*db_);
      auto result = f();
      tx.commit();
      return result;
    } catch (const SQLite::Exception& e) {
      throw StorageError(path_ + ": " + e.what());
    }
  }

  std::string path_;
  int version_ = kSchemaVersion;  // of the file as read; read-write opens migrate it
  std::unique_ptr<SQLite::Database> db_;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path, OpenMode mode) {
  return std::make_unique<SqliteStore>(path, mode);
}

}  // namespace hybridnet::db
