// The study store: studies, their trials (one per distinct network and training setting), the
// per-epoch learning curves, objective values, per-layer precision, and analysis artefacts.
// An interface with two backends, SQLite (one machine) and PostgreSQL (many); db/ never includes
// torch and knows nothing of training: plans, settings and checkpoints are opaque here.
//
// Contract (every implementation; tests/db/test_store_contract.cpp checks it for each backend):
//  - Thread-safe: one Store may be used from several threads at once.
//  - Several processes may share one store: add_trials is idempotent per (study, key), and
//    claim_trial hands a trial to exactly one worker (atomic compare-and-set).
//  - Leases fence: claim_trial returns a trial whose lease() names the worker and the attempt.
//    Every write about that run (heartbeat, add_epoch, finish, fail, interrupt) succeeds only
//    while the trial is still running under that same worker and attempt, and otherwise throws
//    LeaseLost and changes nothing: a worker that stalled past the staleness limit and lost its
//    trial to another cannot write over the new holder's results when it wakes up.
//  - One clock: heartbeats and staleness are measured on the store's clock (the database
//    server's, or the SQLite file's host), never on each worker's.
//  - Finished trials (done) are immutable.
//  - Every write is one transaction: a crash leaves the store as it was before or after it.
//  - Failures of the store itself (I/O, corruption, a locked database past its timeout) are
//    StorageError; an unknown trial or study id in a read is an empty result, not an error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hybridnet::db {

/// kStopped: trained up to a rung of a successive-halving search and not (yet) promoted to the
/// next; its curve and checkpoint stay, and a promotion makes it pending again.
enum class TrialState { kPending, kRunning, kDone, kFailed, kInterrupted, kStopped };
const char* to_string(TrialState state);
/// "pending", "running", "done", "failed", "interrupted", "stopped"; StorageError otherwise.
TrialState parse_state(const std::string& text);

/// A worker's hold on one attempt of a running trial (see the contract above).
struct Lease {
  int64_t trial_id = 0;
  std::string worker;  ///< "host:pid:start"
  int attempt = 0;     ///< the claim that made it: the trial's attempts count at that claim
};

/// A write under a lease that no longer holds: the trial was taken over by another worker,
/// released, finished, or is unknown. Nothing was written. Not a StorageError: the store is
/// fine, only this worker's claim on the trial is over.
struct LeaseLost : std::runtime_error {
  explicit LeaseLost(const Lease& lease);
};

struct StudyRecord {
  int64_t id = 0;
  std::string name;
  nlohmann::json space;   ///< the search space the study was last run with
  double created_at = 0;  ///< Unix seconds
};

/// Precision of one weight layer of a trial's network.
struct LayerRow {
  int index = 0;
  std::string name, role;
  int weight_bits = 32, input_bits = 32;
  double fp_fraction = 0;
};

/// One finished epoch of a trial (accuracies are fractions; val_accuracy -1 without a split).
struct EpochRow {
  int epoch = 0;
  double lr = 0, train_loss = 0, train_accuracy = 0, val_accuracy = -1, test_accuracy = 0,
         test_top5 = 0, seconds = 0;
};

/// One operating point of a trained network with early exits (edge-cloud): the outcome at one
/// setting of the exit thresholds. A trial with points contributes each of them to the front.
struct PointRow {
  std::vector<double> thresholds;  ///< entropy threshold per early exit (the identity)
  double accuracy = 0;             ///< overall top-1
  double energy_pj = 0;            ///< mean energy per inference at these exit shares
  double edge_energy_pj = 0, cloud_energy_pj = 0;  ///< its edge and cloud parts
  std::vector<double> exit_share;                  ///< per early exit
  std::vector<double> exit_accuracy;               ///< per early exit, then the cloud
};

/// A candidate as the search hands it to the store.
struct NewTrial {
  std::string key;        ///< identity in the study: the same key is the same trial
  std::string family;     ///< family of the setting that produced it
  nlohmann::json params;  ///< that setting's parameters
  nlohmann::json plan;    ///< canonical plan JSON
  std::string plan_hash;
  nlohmann::json config;  ///< training settings, data options, seed: what a runner needs
  int priority = 0;       ///< higher is claimed first (the analysis baselines)
  /// Values known before training: energy_pj, memory_bits, flops, ee_fp, mc_fp, ...
  std::map<std::string, double> objectives;
  std::vector<LayerRow> layers;
};

/// A trial's checkpoint as the store keeps it: the files of its run directory after `epochs`
/// finished epochs, packed into one archive (opaque to the store), written by attempt `attempt`.
struct StoredCheckpoint {
  int epochs = 0;
  int attempt = 0;
  std::string bytes;
};

/// A parameter setting that led to a trial; one trial may have several.
struct Setting {
  std::string family;
  nlohmann::json params;
};

struct TrialRecord {
  int64_t id = 0, study_id = 0;
  std::string key, family;
  nlohmann::json params;          ///< the first setting's parameters
  std::vector<Setting> settings;  ///< every setting, in the order they were added
  nlohmann::json plan, config;
  std::string plan_hash;
  int priority = 0;
  TrialState state = TrialState::kPending;
  std::string worker;  ///< who runs or ran it: "host:pid:start"
  int attempts = 0;    ///< times claimed
  double created_at = 0, started_at = 0, finished_at = 0, heartbeat_at = 0;  ///< Unix seconds
  nlohmann::json progress;  ///< live progress of a running trial (epoch, step, loss, eta, ...)
  std::string failure;
  std::map<std::string, double> objectives;
  std::vector<PointRow> points;  ///< operating points (networks with early exits), by thresholds
  /// Successive halving: the rung (index into the search's rung list) it trains towards, or
  /// stopped at; 0 for a grid sweep's trials.
  int rung = 0;
  int epochs_done = 0;  ///< epochs recorded in its curve (the highest epoch row)
  /// Set by the search's views only (search/results.h): >= 0 when this record stands for
  /// points[point] alone, its objectives being that point's.
  int point = -1;

  /// Objective value, or NaN when the trial has none (accuracy before it is done).
  double objective(const std::string& name) const;
  /// The lease of its current (or last) attempt: {id, worker, attempts}.
  Lease lease() const { return {id, worker, attempts}; }
};

/// A trial's stop at a rung of a successive-halving search: what promotion ranks it by.
struct RungRow {
  int64_t trial_id = 0;
  int rung = 0;
  int epochs = 0;         ///< finished epochs at the rung
  double accuracy = 0;    ///< validation top-1 there (a fraction)
  double reached_at = 0;  ///< Unix seconds, store clock
  bool promoted = false;  ///< sent on to the next rung
};

/// A whole trial as a store holds it: what `hybridnet db copy` carries from one store to another.
struct TrialCopy {
  TrialRecord record;  ///< key, plan, settings, state, attempts, times, objectives, points, ...
  std::vector<EpochRow> epochs;
  std::vector<LayerRow> layers;
  std::optional<StoredCheckpoint> checkpoint;
  std::vector<RungRow> rungs;  ///< its stops at rungs (trial_id is the source store's)
};

enum class ImportOutcome { kAdded, kUpdated, kUnchanged };

class Store {
 public:
  virtual ~Store() = default;

  /// The study named `name`, created with `space` if new; an existing study keeps its trials
  /// and records `space` as the one it was last run with.
  virtual int64_t open_study(const std::string& name, const nlohmann::json& space) = 0;
  virtual std::optional<StudyRecord> find_study(const std::string& name) = 0;
  virtual std::vector<StudyRecord> studies() = 0;

  /// Adds trials in one transaction (all or none: a full disk registers nothing); a trial whose
  /// key exists gets `t`'s setting recorded against it instead. Returns, per trial, its id and
  /// whether it was new.
  virtual std::vector<std::pair<int64_t, bool>> add_trials(int64_t study,
                                                           const std::vector<NewTrial>& trials) = 0;
  /// add_trials of one trial.
  std::pair<int64_t, bool> add_trial(int64_t study, const NewTrial& t) {
    return add_trials(study, {t}).front();
  }

  /// Atomically hands the next runnable trial of `study` to `worker`: pending or interrupted
  /// ones, and running ones whose heartbeat is older than `stale_seconds` on the store's clock;
  /// highest priority first, then the highest rung (promoted trials before new ones), then
  /// oldest. The trial becomes running with a fresh heartbeat and
  /// one more attempt; its lease() is the new holder's. Nothing runnable: nullopt.
  virtual std::optional<TrialRecord> claim_trial(int64_t study, const std::string& worker,
                                                 double stale_seconds) = 0;
  /// Running trial `id` back to interrupted if `worker` still holds it (a dead local worker);
  /// false (and no change) otherwise.
  virtual bool release_trial(int64_t id, const std::string& worker) = 0;

  // Writes under a lease: each throws LeaseLost, and writes nothing, unless the trial is
  // running under exactly this lease's worker and attempt.

  /// Refreshes the heartbeat (store clock) and the live progress.
  virtual void heartbeat(const Lease& lease, const nlohmann::json& progress) = 0;
  /// Records a finished epoch (replaces a row of the same epoch left by an earlier attempt).
  virtual void add_epoch(const Lease& lease, const EpochRow& row) = 0;
  /// Running -> done with its final objective values (merged with the predicted ones) and, for
  /// a network with early exits, its operating points; one transaction.
  virtual void finish_trial(const Lease& lease, const std::map<std::string, double>& objectives,
                            const std::vector<PointRow>& points = {}) = 0;
  /// Running -> failed (not retried by later claims), with the reason.
  virtual void fail_trial(const Lease& lease, const std::string& reason) = 0;
  /// Running -> interrupted (resumed by a later claim from its last checkpoint).
  virtual void interrupt_trial(const Lease& lease) = 0;
  /// Running -> stopped at its rung (successive halving), recording the rung's row with the
  /// accuracy promotion ranks it by; one transaction.
  virtual void stop_at_rung(const Lease& lease, int epochs, double accuracy) = 0;

  /// Stopped trial `id` at rung `rung` -> pending towards rung + 1 (claimed before new trials
  /// of its priority; it resumes from its rung checkpoint). Atomic compare-and-set: true for
  /// exactly one caller however many processes promote at once; false, and no change, when the
  /// trial is not stopped at that rung (already promoted, say), or when `limit` trials of its
  /// study have been promoted from that rung already: the count and the promotion are one
  /// step, so processes promoting at once never exceed the limit together. Not under a lease.
  virtual bool promote_trial(int64_t id, int rung, int limit) = 0;
  /// Every rung row of `study`'s trials, by trial then rung.
  virtual std::vector<RungRow> rungs(int64_t study) = 0;

  /// Failed trials of `study` back to interrupted (claimable again; they resume from their last
  /// checkpoint), their failure cleared; returns how many. For failures outside the network (a
  /// full disk, a directory that could not be created) that a user has fixed.
  virtual int retry_failed(int64_t study) = 0;
  /// Adds operating points to a trial (done ones included: points are derived from the
  /// finished network, e.g. at thresholds a later space asks for); a point whose thresholds the
  /// trial already has is kept as it is. Returns how many were new. Not under a lease.
  virtual int add_points(int64_t id, const std::vector<PointRow>& points) = 0;
  /// Adds objective values measured on a done trial's finished network (its latency in the
  /// deployment runtime, say), replacing values of the same names. Not under a lease. Throws
  /// ConfigError when trial `id` is not done.
  virtual void add_measurements(int64_t id, const std::map<std::string, double>& values) = 0;

  virtual std::vector<TrialRecord> trials(int64_t study) = 0;
  virtual std::optional<TrialRecord> trial(int64_t id) = 0;
  virtual std::vector<EpochRow> epochs(int64_t id) = 0;
  virtual std::vector<LayerRow> layers(int64_t id) = 0;

  /// Replaces trial `lease.trial_id`'s stored checkpoint with the one after `epochs` epochs
  /// (a write under a lease: LeaseLost, and nothing written, unless it holds).
  virtual void put_checkpoint(const Lease& lease, int epochs, const std::string& bytes) = 0;
  /// The trial's stored checkpoint, if it has one (a done trial's is its finished network).
  virtual std::optional<StoredCheckpoint> checkpoint(int64_t id) = 0;
  /// Whether workers keep trials' checkpoints in this store (put_checkpoint after every epoch)
  /// so that a worker on another machine can resume a trial: a server store, whose workers
  /// share no file system. A SQLite file's workers share the run files beside it instead.
  virtual bool keeps_checkpoints() const = 0;

  /// Writes a trial copied from another store into `study`, in one transaction, by its key:
  ///  - a new key is added as the copy has it (a running copy as interrupted: its worker
  ///    belongs to the other store), with its epochs, layers, points and checkpoint: kAdded;
  ///  - a trial of that key that is not done, when the copy is done, takes the copy's state,
  ///    objectives, epochs, points and checkpoint (its holder, if any, loses the lease): kUpdated;
  ///  - otherwise it keeps its own (a done trial is immutable): kUnchanged.
  /// In every case the copy's settings missing here are recorded against it.
  virtual ImportOutcome import_trial(int64_t study, const TrialCopy& copy) = 0;

  /// Named JSON artefacts of a study (the analysis profile of a baseline, say); put is
  /// first-writer-wins, so that concurrent writers of the same deterministic artefact agree.
  virtual void put_artifact(int64_t study, const std::string& key, const nlohmann::json& value) = 0;
  virtual std::optional<nlohmann::json> artifact(int64_t study, const std::string& key) = 0;
  /// Every artefact of a study, by key.
  virtual std::map<std::string, nlohmann::json> artifacts(int64_t study) = 0;

  /// The store's clock (Unix seconds): the one heartbeats are measured on, so that a
  /// heartbeat's age is right whatever the reader's own clock says.
  virtual double now() = 0;

  /// Where trials' run directories (checkpoints, metrics) live unless the user gives another
  /// root (--runs); empty when the backend has no natural place for them.
  virtual std::string default_run_files_root() const = 0;
  /// What the user named the store by (a path or URL), for messages.
  virtual const std::string& location() const = 0;
};

enum class OpenMode { kReadWrite, kReadOnly };

/// Opens the store that `url` names: a SQLite file as a plain path or "sqlite:PATH", a
/// PostgreSQL database as "postgresql://..." or "postgres://..." (db/postgres_store.h; builds
/// with libpqxx). Any other scheme is a ConfigError naming it and the schemes this build knows;
/// nothing is created for it.
std::unique_ptr<Store> open_store(const std::string& url, OpenMode mode);

/// Opens (kReadWrite: creates or migrates) a SQLite store. A file that is not a hybridnet
/// database, comes from a newer schema, or is corrupt is a StorageError naming it, and is left
/// untouched. kReadOnly needs an existing file and reads an older schema as it is.
std::unique_ptr<Store> open_sqlite_store(const std::string& path, OpenMode mode);

/// Schema version this build writes.
inline constexpr int kSchemaVersion = 4;

/// A family name as the store returns it: today's spelling of a name that earlier versions wrote
/// (edge_cloud is now edge-cloud; search/family_registry.h reads the same old spellings in space
/// files). Every backend's reader applies it, so stores written before a rename still read.
std::string current_family_name(const std::string& stored);

}  // namespace hybridnet::db
