// Run-file layout: each attempt of a trial in its own directory, seeded from the newest earlier
// checkpoint (a trial directory of the layout before attempts counts as attempt 0), finished
// trials found where they finished, earlier attempts pruned. Files written by hand: no training.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "search/run_files.h"
#include "tests/support.h"

using namespace hybridnet;
using hybridnet::search::check_study_name;
using hybridnet::search::RunFiles;
using hybridnet::search::study_dir_name;
namespace fs = std::filesystem;

namespace {

// A checkpoint as the trainer leaves it: state.json with its finished epochs, and weights.
void write_checkpoint(const fs::path& dir, int epochs, const std::string& weights) {
  fs::create_directories(dir);
  std::ofstream(dir / "state.json") << "{\"epochs_done\": " << epochs << ", \"history\": []}";
  std::ofstream(dir / "model.pt") << weights;
  std::ofstream(dir / "optimizer.pt") << "opt-" << weights;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

db::TrialRecord trial(int64_t id, int attempts) {
  db::TrialRecord t;
  t.id = id;
  t.attempts = attempts;
  return t;
}

}  // namespace

TEST_CASE("run files: an attempt starts from the newest earlier checkpoint", "[search][runs]") {
  const search::RunFiles files(test::fresh_temp_dir("run_files_seed").string());
  SECTION("a first attempt starts empty") {
    const fs::path dir = files.begin_attempt("s", trial(3, 1));
    CHECK(dir == fs::path(files.root()) / "s" / "trial-0003" / "attempt-1");
    CHECK(fs::is_directory(dir));
    CHECK(fs::is_empty(dir));
  }
  SECTION("the earlier attempt with the most epochs, whatever its number") {
    write_checkpoint(files.attempt_dir("s", 3, 1), 2, "w2");
    write_checkpoint(files.attempt_dir("s", 3, 2), 1, "w1");  // took over, stalled, no progress
    std::ofstream(fs::path(files.attempt_dir("s", 3, 1)) / "model.pt.tmp") << "half-written";
    const fs::path dir = files.begin_attempt("s", trial(3, 3));
    CHECK(read(dir / "model.pt") == "w2");
    CHECK(read(dir / "optimizer.pt") == "opt-w2");
    CHECK_FALSE(fs::exists(dir / "model.pt.tmp"));
    // Its own checkpoint, once it has one, is never overwritten by an earlier attempt's.
    write_checkpoint(dir, 3, "w3");
    files.begin_attempt("s", trial(3, 3));
    CHECK(read(dir / "model.pt") == "w3");
  }
  SECTION("a trial directory of the layout before attempts counts as attempt 0") {
    write_checkpoint(files.trial_dir("s", 3), 4, "legacy");
    const fs::path dir = files.begin_attempt("s", trial(3, 2));
    CHECK(read(dir / "model.pt") == "legacy");
  }
}

TEST_CASE("run files: a finished trial is found where it finished, earlier attempts pruned",
          "[search][runs]") {
  const search::RunFiles files(test::fresh_temp_dir("run_files_done").string());
  write_checkpoint(files.attempt_dir("s", 1, 1), 1, "a1");
  write_checkpoint(files.attempt_dir("s", 1, 2), 3, "a2");
  CHECK(files.finished_run("s", trial(1, 2)) == files.attempt_dir("s", 1, 2));
  files.prune_earlier_attempts("s", trial(1, 2));
  CHECK_FALSE(fs::exists(files.attempt_dir("s", 1, 1)));
  CHECK(fs::exists(fs::path(files.attempt_dir("s", 1, 2)) / "model.pt"));
  // Finished by a version before attempts had directories.
  write_checkpoint(files.trial_dir("s", 2), 3, "old");
  CHECK(files.finished_run("s", trial(2, 1)) == files.trial_dir("s", 2));
}

TEST_CASE("run files: every study name stays under the root, plain names keep their directory",
          "[search][runs]") {
  const fs::path root = test::fresh_temp_dir("run_files_names");
  const RunFiles files((root / "runs").string());
  // Names that were paths: a parent, an absolute path, "..", a NUL, 300 characters.
  const std::vector<std::string> hostile = {"../../escaped", "/tmp/abs", "..", ".",
                                            std::string("a\0b", 3), std::string(300, 'x'),
                                            "with space/and slash", ".hidden"};
  std::set<std::string> dirs;
  for (const auto& name : hostile) {
    const fs::path dir = files.trial_dir(name, 7);
    INFO(dir);
    CHECK(dir.parent_path().parent_path() == root / "runs");  // <root>/<one name>/trial-0007
    const std::string leaf = dir.parent_path().filename().string();
    CHECK(leaf.size() <= 48 + 1 + 16);
    CHECK(leaf.find('/') == std::string::npos);
    CHECK(leaf.front() != '.');
    CHECK(dirs.insert(leaf).second);  // distinct names, distinct directories
    fs::create_directories(dir);      // and the file system takes it
  }
  // Every directory made above is inside the root.
  for (const auto& e : fs::recursive_directory_iterator(root))
    CHECK(e.path().string().rfind((root / "runs").string(), 0) == 0);
  CHECK(study_dir_name("quickstart") == "quickstart");
  CHECK(study_dir_name("kbit-resnet20_v2.1") == "kbit-resnet20_v2.1");
  CHECK(study_dir_name("a b") != study_dir_name("a_b"));
}

TEST_CASE("run files: study names are checked for length and control characters",
          "[search][runs]") {
  CHECK_NOTHROW(check_study_name("../a name with spaces", "s.json: study"));
  CHECK_THROWS_WITH(check_study_name("", "s.json: study"), "s.json: study: the study name is empty");
  CHECK_THROWS_WITH(check_study_name(std::string(201, 'x'), "s.json: study"),
                    "s.json: study: the study name has 201 characters; at most 200");
  CHECK_THROWS_WITH(check_study_name(std::string("a\0b", 3), "s.json: study"),
                    Catch::Contains("control character (byte 0 at position 1)"));
  CHECK_THROWS_WITH(check_study_name("tab\there", "s.json: study"),
                    Catch::Contains("control character (byte 9"));
}
