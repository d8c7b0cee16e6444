// Schema version 4. Times are Unix seconds (REAL): datetime(started_at, 'unixepoch') in sqlite3.
#include "db/schema.h"

namespace hybridnet::db {

const std::vector<std::string>& schema_migrations() {
  static const std::vector<std::string> steps = {
      // 0 -> 1
      R"sql(
CREATE TABLE studies(
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  space_json  TEXT NOT NULL,              -- the search space the study was last run with
  created_at  REAL NOT NULL
);
CREATE TABLE trials(
  id            INTEGER PRIMARY KEY,
  study_id      INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  trial_key     TEXT NOT NULL,            -- hash of plan + training + data + seed
  family        TEXT NOT NULL,            -- family of the first setting that produced it
  params_json   TEXT NOT NULL,            -- that setting's parameters
  plan_json     TEXT NOT NULL,            -- canonical HybridPlan
  plan_hash     TEXT NOT NULL,
  config_json   TEXT NOT NULL,            -- {"train", "data", "seed", "energy_table", ...}
  priority      INTEGER NOT NULL DEFAULT 0,
  state         TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'running', 'done', 'failed', 'interrupted')),
  worker        TEXT,                     -- host:pid:start of the process running it
  attempts      INTEGER NOT NULL DEFAULT 0,
  created_at    REAL NOT NULL,
  started_at    REAL,
  finished_at   REAL,
  heartbeat_at  REAL,
  progress_json TEXT,                     -- live progress while running
  failure       TEXT,                     -- why it failed
  UNIQUE (study_id, trial_key)
);
CREATE INDEX trials_by_state ON trials(study_id, state, priority DESC, id);
-- A finished trial is immutable.
CREATE TRIGGER trials_done_immutable BEFORE UPDATE ON trials WHEN OLD.state = 'done'
BEGIN SELECT RAISE(ABORT, 'finished trials are immutable'); END;
CREATE TABLE trial_settings(              -- every parameter setting that led to a trial
  trial_id    INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  family      TEXT NOT NULL,
  params_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, seq),
  UNIQUE (trial_id, family, params_json)
);
CREATE TABLE epochs(                      -- learning curves; accuracies are fractions
  trial_id       INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  epoch          INTEGER NOT NULL,
  lr             REAL,
  train_loss     REAL,
  train_accuracy REAL,
  val_accuracy   REAL,                    -- -1 without a validation split
  test_accuracy  REAL,
  test_top5      REAL,
  seconds        REAL,
  PRIMARY KEY (trial_id, epoch)
);
CREATE TABLE objectives(                  -- accuracy, top5, energy_pj, memory_bits, flops, ...
  trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  value    REAL NOT NULL,
  PRIMARY KEY (trial_id, name)
);
CREATE TABLE layer_precisions(            -- the precision of every weight layer of a trial
  trial_id    INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  layer_index INTEGER NOT NULL,
  name        TEXT NOT NULL,
  role        TEXT NOT NULL,              -- stem, body, shortcut, classifier
  weight_bits INTEGER NOT NULL,
  input_bits  INTEGER NOT NULL,
  fp_fraction REAL NOT NULL,
  PRIMARY KEY (trial_id, layer_index),
  UNIQUE (trial_id, name)
);
CREATE TABLE artifacts(                   -- analysis profiles of the baselines, ...
  study_id   INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value_json TEXT NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (study_id, key)
);
)sql",
      // 1 -> 2: operating points of networks with early exits (edge-cloud family).
      R"sql(
CREATE TABLE trial_points(                -- one per exit-threshold setting of a trained network
  trial_id           INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  thresholds_json    TEXT NOT NULL,       -- entropy threshold per early exit, e.g. [0.5]
  accuracy           REAL NOT NULL,       -- overall top-1 (fraction)
  energy_pj          REAL NOT NULL,       -- mean energy per inference
  edge_energy_pj     REAL NOT NULL,
  cloud_energy_pj    REAL NOT NULL,
  exit_share_json    TEXT NOT NULL,       -- share of samples leaving at each early exit
  exit_accuracy_json TEXT NOT NULL,       -- accuracy at each early exit, then the cloud
  PRIMARY KEY (trial_id, thresholds_json)
);
)sql",
      // 2 -> 3: checkpoints kept in the store (a server's workers share no file system; a
      // study copied from one keeps its trained networks).
      R"sql(
CREATE TABLE checkpoints(                 -- the latest checkpoint of a trial
  trial_id INTEGER PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
  epochs   INTEGER NOT NULL,              -- finished epochs it holds
  attempt  INTEGER NOT NULL,              -- the attempt that wrote it
  bytes    BLOB NOT NULL,                 -- the run directory's files, one archive
  saved_at REAL NOT NULL
);
)sql",
      // 3 -> 4: successive halving (issue 18). A trial trains up to a rung and may stop there
      // ('stopped'); `rung` is the rung it trains towards (0 for a grid sweep's trials). SQLite
      // cannot change a CHECK, so trials is rebuilt (the store runs this with foreign keys off,
      // as SQLite's ALTER TABLE documentation prescribes).
      R"sql(
CREATE TABLE trials_v4(
  id            INTEGER PRIMARY KEY,
  study_id      INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  trial_key     TEXT NOT NULL,            -- hash of plan + training + data + seed
  family        TEXT NOT NULL,            -- family of the first setting that produced it
  params_json   TEXT NOT NULL,            -- that setting's parameters
  plan_json     TEXT NOT NULL,            -- canonical HybridPlan
  plan_hash     TEXT NOT NULL,
  config_json   TEXT NOT NULL,            -- {"train", "data", "seed", "energy_table", ...}
  priority      INTEGER NOT NULL DEFAULT 0,
  state         TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'running', 'done', 'failed', 'interrupted',
                                 'stopped')),
  worker        TEXT,                     -- host:pid:start of the process running it
  attempts      INTEGER NOT NULL DEFAULT 0,
  created_at    REAL NOT NULL,
  started_at    REAL,
  finished_at   REAL,
  heartbeat_at  REAL,
  progress_json TEXT,                     -- live progress while running
  failure       TEXT,                     -- why it failed
  rung          INTEGER NOT NULL DEFAULT 0, -- successive halving: the rung it trains towards
  UNIQUE (study_id, trial_key)
);
INSERT INTO trials_v4(id, study_id, trial_key, family, params_json, plan_json, plan_hash,
                      config_json, priority, state, worker, attempts, created_at, started_at,
                      finished_at, heartbeat_at, progress_json, failure)
  SELECT id, study_id, trial_key, family, params_json, plan_json, plan_hash, config_json,
         priority, state, worker, attempts, created_at, started_at, finished_at, heartbeat_at,
         progress_json, failure FROM trials;
DROP TABLE trials;
ALTER TABLE trials_v4 RENAME TO trials;
CREATE INDEX trials_by_state ON trials(study_id, state, priority DESC, id);
CREATE TRIGGER trials_done_immutable BEFORE UPDATE ON trials WHEN OLD.state = 'done'
BEGIN SELECT RAISE(ABORT, 'finished trials are immutable'); END;
CREATE TABLE rungs(                       -- a trial's accuracy on reaching each rung it stopped at
  trial_id    INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  rung        INTEGER NOT NULL,
  epochs      INTEGER NOT NULL,           -- finished epochs at the rung
  accuracy    REAL NOT NULL,              -- what promotion ranks: validation top-1 (fraction)
  reached_at  REAL NOT NULL,
  promoted_at REAL,                       -- when it was sent on to the next rung
  PRIMARY KEY (trial_id, rung)
);
)sql",
  };
  return steps;
}

}  // namespace hybridnet::db
