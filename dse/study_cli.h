// Helpers of the study commands (sweep, status, studies, trials, pareto, show, report, export):
// opening the store, finding a study, durations, and the trial table.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "db/store.h"
#include "search/pareto.h"

namespace CLI {
class App;
}

namespace hybridnet::dse {

/// Opens --db (a SQLite path or sqlite:PATH, or postgresql://...) read-only (queries) or
/// read-write (sweeps).
std::unique_ptr<db::Store> open_store(const std::string& url, bool read_only);

/// Help text of every command's --db option.
inline constexpr const char* kDbHelp =
    "Store: a SQLite file (PATH or sqlite:PATH), or a PostgreSQL database "
    "(postgresql://USER@HOST:PORT/DBNAME; its password from ~/.pgpass or PGPASSFILE)";
/// Help text of the --runs option of the commands that read or write run directories.
inline constexpr const char* kRunsHelp =
    "Root of the trials' run directories (checkpoints); default: beside a SQLite store, "
    "<db without extension>.runs/; for PostgreSQL, whose server keeps the checkpoints, "
    "~/.cache/hybridnet/runs/<server and database>";
/// The study named `name`; with `name` empty, the only study of the store. ConfigError listing
/// the store's studies otherwise.
db::StudyRecord require_study(db::Store& store, const std::string& name, const std::string& db);
/// The trial with id `id`; ConfigError when the store has none.
db::TrialRecord require_trial(db::Store& store, int64_t id, const std::string& db);

/// "8h", "90m", "45s", "1h30m", "3600" (seconds); ConfigError naming `option`.
double parse_duration(const std::string& text, const std::string& option);

/// A table of trials with their objectives; `marks` (same length, optional) prefixes a row.
std::string trial_table(const std::vector<db::TrialRecord>& trials,
                        const std::vector<std::string>& marks = {});

}  // namespace hybridnet::dse
