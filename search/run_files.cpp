#include "search/run_files.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>

#include "models/atomic_file.h"
#include "models/error.h"
#include "models/hybrid_plan.h"

namespace hybridnet::search {

namespace fs = std::filesystem;

namespace {

// Finished epochs of the checkpoint in `dir` (state.json), or -1 when it holds none.
int epochs_done(const fs::path& dir) {
  std::ifstream in(dir / "state.json");
  if (!in || !fs::exists(dir / "model.pt")) return -1;
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("epochs_done") || !j["epochs_done"].is_number_integer())
    return -1;
  return j["epochs_done"].get<int>();
}

// The regular files of a checkpoint directory (no temporaries of an interrupted save).
std::map<std::string, ino_t> checkpoint_files(const fs::path& dir) {
  std::map<std::string, ino_t> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || name.size() > 4 && name.substr(name.size() - 4) == ".tmp") continue;
    struct stat st {};
    if (::stat(e.path().c_str(), &st) == 0) files[name] = st.st_ino;
  }
  return files;
}

// Copies the checkpoint in `from` into `to`, each file through a temporary and a rename. The
// trainer replaces checkpoint files by renames, so a file whose inode changed during the copy
// was rewritten by a holder still running there: copy again, so that weights, optimizer state
// and history come from one epoch.
void copy_checkpoint(const fs::path& from, const fs::path& to) {
  for (int tries = 0; tries < 5; ++tries) {
    const auto before = checkpoint_files(from);
    for (const auto& [name, inode] : before)
      copy_file_atomic((from / name).string(), (to / name).string());
    if (checkpoint_files(from) == before) return;
  }
  throw DataError(from.string() + ": its checkpoint kept changing while it was copied to " +
                  to.string());
}

bool plain_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

void check_study_name(const std::string& name, const std::string& what) {
  if (name.empty()) throw ConfigError(what + ": the study name is empty");
  if (name.size() > kMaxStudyNameLength)
    throw ConfigError(what + ": the study name has " + std::to_string(name.size()) +
                      " characters; at most " + std::to_string(kMaxStudyNameLength));
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f)
      throw ConfigError(what + ": the study name has a control character (byte " +
                        std::to_string(c) + " at position " + std::to_string(i) + ")");
  }
}

std::string study_dir_name(const std::string& study) {
  bool plain = !study.empty() && study.size() <= 64 && study[0] != '.';
  for (char c : study) plain = plain && plain_name_char(c);
  if (plain) return study;
  std::string slug;
  for (char c : study) {
    if (slug.size() >= 48) break;
    if (slug.empty() && c == '.') continue;
    slug += plain_name_char(c) ? c : '_';
  }
  return (slug.empty() ? "study" : slug) + "-" + models::text_hash(study);
}

RunFiles::RunFiles(std::string root) : root_(std::move(root)) {}

RunFiles RunFiles::for_store(const db::Store& store, const std::string& user_root) {
  if (!user_root.empty()) return RunFiles(user_root);
  const std::string root = store.default_run_files_root();
  if (root.empty())
    throw ConfigError("--db " + store.location() +
                      ": this store has no place for run files; give --runs DIR");
  return RunFiles(root);
}

std::string RunFiles::trial_dir(const std::string& study, int64_t id) const {
  char name[32];
  std::snprintf(name, sizeof name, "trial-%04lld", static_cast<long long>(id));
  return (fs::path(root_) / study_dir_name(study) / name).string();
}

std::string RunFiles::attempt_dir(const std::string& study, int64_t id, int attempt) const {
  return (fs::path(trial_dir(study, id)) / ("attempt-" + std::to_string(attempt))).string();
}

std::string RunFiles::begin_attempt(const std::string& study, const db::TrialRecord& t) const {
  const fs::path dir = attempt_dir(study, t.id, t.attempts);
  fs::create_directories(dir);
  if (epochs_done(dir) >= 0) return dir.string();  // this attempt's own checkpoint
  fs::path newest;
  int most = -1;
  // Attempt 0 is the trial directory itself: the layout before attempts had directories.
  for (int a = 0; a < t.attempts; ++a) {
    const fs::path earlier =
        a == 0 ? fs::path(trial_dir(study, t.id)) : fs::path(attempt_dir(study, t.id, a));
    const int n = epochs_done(earlier);
    if (n >= 0 && n >= most) {
      most = n;
      newest = earlier;
    }
  }
  if (most >= 0) copy_checkpoint(newest, dir);
  return dir.string();
}

std::string RunFiles::finished_run(const std::string& study, const db::TrialRecord& t) const {
  const std::string last = attempt_dir(study, t.id, t.attempts);
  if (fs::exists(last)) return last;
  const std::string trial = trial_dir(study, t.id);
  if (fs::exists(fs::path(trial) / "model.pt")) return trial;
  return last;  // missing: the reader's error names where it should be
}

void RunFiles::prune_earlier_attempts(const std::string& study, const db::TrialRecord& t) const {
  for (int a = 1; a < t.attempts; ++a) {
    std::error_code ec;  // best effort: a leftover directory costs disk, not correctness
    fs::remove_all(attempt_dir(study, t.id, a), ec);
  }
}

}  // namespace hybridnet::search
