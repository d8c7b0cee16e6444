#include "search/run_files.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "models/atomic_file.h"
#include "models/error.h"
#include "models/hybrid_plan.h"
#include "search/checkpoint_archive.h"

namespace hybridnet::search {

namespace fs = std::filesystem;

namespace {

// Copies the checkpoint in `from` into `to`: one consistent reading of its files.
void copy_checkpoint(const fs::path& from, const fs::path& to) {
  unpack_checkpoint(pack_checkpoint(from.string()), to.string(), from.string());
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

RunFiles::RunFiles(std::string root, db::Store* store) : root_(std::move(root)), store_(store) {}

RunFiles RunFiles::for_store(db::Store& store, const std::string& user_root) {
  if (!user_root.empty()) return RunFiles(user_root, &store);
  const std::string root = store.default_run_files_root();
  if (root.empty())
    throw ConfigError("--db " + store.location() +
                      ": this store has no place for run files; give --runs DIR");
  return RunFiles(root, &store);
}

std::string RunFiles::trial_dir(const std::string& study, int64_t id) const {
  char name[32];
  std::snprintf(name, sizeof name, "trial-%04lld", static_cast<long long>(id));
  return (fs::path(root_) / study_dir_name(study) / name).string();
}

std::string RunFiles::attempt_dir(const std::string& study, int64_t id, int attempt) const {
  return (fs::path(trial_dir(study, id)) / ("attempt-" + std::to_string(attempt))).string();
}

namespace {

// The claim an attempt directory belongs to: claim.json, written when the attempt begins. A
// directory of attempt N that another claim wrote (a store deleted and made again with the same
// study, a scratch directory reused by a later job) is a leftover: moved aside, never resumed.
void claim_directory(const fs::path& dir, const db::TrialRecord& t) {
  const nlohmann::json claim = {
      {"trial", t.id}, {"key", t.key}, {"attempt", t.attempts}, {"worker", t.worker}};
  const fs::path marker = dir / "claim.json";
  if (fs::exists(dir) && fs::exists(marker)) {
    std::ifstream in(marker);
    const auto found = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (found == claim) return;  // this claim's own directory
    fs::path aside;
    for (int n = 1; fs::exists(aside = dir.string() + ".leftover-" + std::to_string(n)); ++n) {
    }
    fs::rename(dir, aside);
    std::fprintf(stderr,
                 "hybridnet: %s held another claim's files (a store made again, or reused "
                 "scratch); moved them to %s\n",
                 dir.c_str(), aside.c_str());
  }
  fs::create_directories(dir);
  write_file_atomic(marker.string(), claim.dump() + "\n");
}

}  // namespace

std::string RunFiles::begin_attempt(const std::string& study, const db::TrialRecord& t) const {
  const fs::path dir = attempt_dir(study, t.id, t.attempts);
  claim_directory(dir, t);
  if (checkpoint_epochs(dir.string()) >= 0) return dir.string();  // this attempt's own checkpoint
  fs::path newest;
  int most = -1;
  // Attempt 0 is the trial directory itself: the layout before attempts had directories.
  for (int a = 0; a < t.attempts; ++a) {
    const fs::path earlier =
        a == 0 ? fs::path(trial_dir(study, t.id)) : fs::path(attempt_dir(study, t.id, a));
    const int n = checkpoint_epochs(earlier.string());
    if (n >= 0 && n >= most) {
      most = n;
      newest = earlier;
    }
  }
  // The store's checkpoint when it is further on (written on another machine).
  if (auto stored = store_ ? store_->checkpoint(t.id) : std::nullopt;
      stored && stored->epochs > most) {
    unpack_checkpoint(stored->bytes, dir.string(),
                      store_->location() + ": trial #" + std::to_string(t.id) + "'s checkpoint");
    return dir.string();
  }
  if (most >= 0) copy_checkpoint(newest, dir);
  return dir.string();
}

void RunFiles::save_to_store(const db::Lease& lease, const std::string& dir) const {
  if (!store_ || !store_->keeps_checkpoints()) return;
  store_->put_checkpoint(lease, checkpoint_epochs(dir), pack_checkpoint(dir));
}

std::string RunFiles::finished_run(const std::string& study, const db::TrialRecord& t) const {
  const std::string last = attempt_dir(study, t.id, t.attempts);
  if (fs::exists(fs::path(last) / "metrics.json")) return last;
  const std::string trial = trial_dir(study, t.id);
  if (!fs::exists(last) && fs::exists(fs::path(trial) / "model.pt")) return trial;
  // Trained on another machine (or copied from another store): the store has its network.
  if (store_ && t.state == db::TrialState::kDone)
    if (auto stored = store_->checkpoint(t.id))
      unpack_checkpoint(stored->bytes, last,
                        store_->location() + ": trial #" + std::to_string(t.id) + "'s checkpoint");
  return last;  // missing: the reader's error names where it should be
}

void RunFiles::prune_earlier_attempts(const std::string& study, const db::TrialRecord& t) const {
  for (int a = 1; a < t.attempts; ++a) {
    std::error_code ec;  // best effort: a leftover directory costs disk, not correctness
    fs::remove_all(attempt_dir(study, t.id, a), ec);
  }
}

}  // namespace hybridnet::search
