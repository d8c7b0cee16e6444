// Where trials' run directories live, decided here and nowhere else:
//   <root>/<study dir>/trial-<id>/attempt-<n>/   (checkpoints, run.json, metrics.json)
// The study's directory is its name when that is a plain file name, else a sanitised slug plus
// a hash of the name (study_dir_name): whatever the name, run files stay under the root.
// The root is the user's --runs DIR, or the store's default (beside a SQLite file, a cache
// directory for a server, whose checkpoints travel through the store). Every
// attempt of a trial (every claim of it) trains in a directory of its own, seeded with the
// newest checkpoint of the earlier ones: a worker that stalled, lost its lease and woke up
// can only write into its own attempt, never into the new holder's checkpoint.
#pragma once

#include <cstdint>
#include <string>

#include "db/store.h"

namespace hybridnet::search {

/// Longest study name a space may give.
inline constexpr size_t kMaxStudyNameLength = 200;

/// Checks a study name: non-empty, at most kMaxStudyNameLength bytes, no control characters;
/// ConfigError "<what>: ..." saying which rule it breaks.
void check_study_name(const std::string& name, const std::string& what);

/// The directory of a study under a run-files root: the name itself when it is made of
/// letters, digits, '.', '_' and '-', does not start with '.', and has at most 64 characters
/// (so every study named so far keeps its directory); otherwise those characters of it (others
/// as '_', leading dots dropped, at most 48) followed by '-' and 16 hex digits of its hash.
std::string study_dir_name(const std::string& study);

class RunFiles {
 public:
  /// Run files under `root`; with a `store`, trials' checkpoints also travel through it (see
  /// begin_attempt, finished_run and save_to_store).
  explicit RunFiles(std::string root, db::Store* store = nullptr);
  /// The user's root if given, else the store's default; a ConfigError when neither exists.
  static RunFiles for_store(db::Store& store, const std::string& user_root);

  const std::string& root() const { return root_; }
  std::string trial_dir(const std::string& study, int64_t trial_id) const;
  std::string attempt_dir(const std::string& study, int64_t trial_id, int attempt) const;

  /// Creates the directory of trial `t`'s current attempt (t.attempts), marked with the claim
  /// (claim.json; a directory that another claim marked is a leftover of another store or an
  /// earlier one of the same name, and is moved aside to attempt-N.leftover-M), and, when it holds no
  /// checkpoint yet, copies in the newest one of the earlier attempts (the one with the most
  /// finished epochs; a trial directory of the layout before attempts counts as attempt 0), or
  /// the store's checkpoint of the trial when that has more epochs (an attempt that ran on
  /// another machine). Returns the attempt's directory.
  std::string begin_attempt(const std::string& study, const db::TrialRecord& t) const;

  /// After an epoch (and after the finish) of the attempt in `dir`: its checkpoint into the
  /// store, when the store keeps checkpoints (db::Store::keeps_checkpoints); LeaseLost when the
  /// lease no longer holds.
  void save_to_store(const db::Lease& lease, const std::string& dir) const;

  /// The run directory of a done trial: its last attempt's, or for a trial finished before
  /// attempts had directories, the trial directory itself. When neither is here and the store
  /// has the trial's checkpoint (trained on another machine, or a copied study), it is
  /// unpacked into the last attempt's directory first.
  std::string finished_run(const std::string& study, const db::TrialRecord& t) const;

  /// After trial `t` finished: removes the directories of its earlier attempts (their
  /// checkpoints were copied forward; a stalled holder of one writes nothing the store keeps).
  void prune_earlier_attempts(const std::string& study, const db::TrialRecord& t) const;

 private:
  std::string root_;
  db::Store* store_ = nullptr;
};

}  // namespace hybridnet::search
