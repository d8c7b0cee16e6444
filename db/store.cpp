// What every backend shares: state names, the lease error, and the factory that picks a backend
// from the --db URL.
#include "db/store.h"

#include <cmath>
#include <map>
#include <regex>

#include "models/error.h"
#ifdef HYBRIDNET_WITH_POSTGRES
#include "db/postgres_store.h"
#endif

namespace hybridnet::db {

const char* to_string(TrialState s) {
  switch (s) {
    case TrialState::kPending:
      return "pending";
    case TrialState::kRunning:
      return "running";
    case TrialState::kDone:
      return "done";
    case TrialState::kFailed:
      return "failed";
    case TrialState::kInterrupted:
      return "interrupted";
    case TrialState::kStopped:
      return "stopped";
  }
  return "?";
}

TrialState parse_state(const std::string& t) {
  for (auto s : {TrialState::kPending, TrialState::kRunning, TrialState::kDone, TrialState::kFailed,
                 TrialState::kInterrupted, TrialState::kStopped})
    if (t == to_string(s)) return s;
  throw StorageError("unknown trial state '" + t +
                     "' (pending, running, done, failed, interrupted, stopped)");
}

std::string current_family_name(const std::string& stored) {
  static const std::map<std::string, std::string> renamed = {{"edge_cloud", "edge-cloud"}};
  const auto it = renamed.find(stored);
  return it == renamed.end() ? stored : it->second;
}

double TrialRecord::objective(const std::string& name) const {
  auto it = objectives.find(name);
  return it == objectives.end() ? std::nan("") : it->second;
}

LeaseLost::LeaseLost(const Lease& l)
    : std::runtime_error("trial #" + std::to_string(l.trial_id) + " is no longer held by " +
                         l.worker + " (attempt " + std::to_string(l.attempt) +
                         "): another worker took it over, or it was released or finished") {}

std::unique_ptr<Store> open_store(const std::string& url, OpenMode mode) {
#ifdef HYBRIDNET_WITH_POSTGRES
  static const std::string kKnown =
      "this build reads SQLite stores (a file path or sqlite:PATH) and PostgreSQL ones "
      "(postgresql://USER@HOST:PORT/DBNAME)";
#else
  static const std::string kKnown =
      "this build reads SQLite stores: a file path or sqlite:PATH (it was built without "
      "libpqxx, so without PostgreSQL)";
#endif
  if (url.empty()) throw ConfigError("--db: empty; " + kKnown);
  if (url.rfind("sqlite:", 0) == 0) {
    std::string path = url.substr(7);
    if (path.rfind("//", 0) == 0) path.erase(0, 2);  // sqlite://PATH too
    if (path.empty()) throw ConfigError("--db " + url + ": no file after sqlite:; " + kKnown);
    return open_sqlite_store(path, mode);
  }
#ifdef HYBRIDNET_WITH_POSTGRES
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0)
    return open_postgres_store(url, mode);
#endif
  // "scheme://..." (and the PostgreSQL spellings without slashes) name a server, not a file:
  // never create a directory named after the scheme.
  static const std::regex scheme(R"(^([A-Za-z][A-Za-z0-9+.\-]*)://)");
  std::smatch m;
  if (std::regex_search(url, m, scheme) || url.rfind("postgres:", 0) == 0 ||
      url.rfind("postgresql:", 0) == 0) {
    const std::string name = m.empty() ? url.substr(0, url.find(':')) : m[1].str();
    throw ConfigError("--db " + url + ": unknown store scheme '" + name + "'; " + kKnown);
  }
  return open_sqlite_store(url, mode);
}

}  // namespace hybridnet::db
