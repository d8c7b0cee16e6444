// Run-file layout: each attempt of a trial in its own directory, seeded from the newest earlier
// checkpoint (a trial directory of the layout before attempts counts as attempt 0), finished
// trials found where they finished, earlier attempts pruned. Files written by hand: no training.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "db/store.h"
#include "models/error.h"
#include "search/checkpoint_archive.h"
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
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    CHECK(names == std::vector<std::string>{"claim.json"});  // no checkpoint, only its claim
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
  SECTION("another claim's directory (a store made again) is moved aside, not resumed") {
    db::TrialRecord earlier = trial(3, 1);
    earlier.worker = "host:1:100";
    write_checkpoint(files.begin_attempt("s", earlier), 3, "other store's");
    db::TrialRecord now = trial(3, 1);
    now.worker = "host:2:200";
    const fs::path dir = files.begin_attempt("s", now);
    CHECK_FALSE(fs::exists(dir / "model.pt"));
    CHECK(fs::exists(dir / "claim.json"));
    CHECK(read(fs::path(dir.string() + ".leftover-1") / "model.pt") == "other store's");
    // The same claim finds its own directory again.
    write_checkpoint(dir, 1, "mine");
    CHECK(read(fs::path(files.begin_attempt("s", now)) / "model.pt") == "mine");
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

TEST_CASE("checkpoint archive: a run directory packs and unpacks byte for byte", "[search][runs]") {
  const fs::path root = test::fresh_temp_dir("checkpoint_archive");
  write_checkpoint(root / "from", 5, std::string("w\0\n5\n", 5) + std::string(3000, '\xff'));
  std::ofstream(root / "from" / "model.pt.tmp") << "half-written";
  const std::string packed = search::pack_checkpoint((root / "from").string());
  search::unpack_checkpoint(packed, (root / "to").string(), "test");
  CHECK(search::checkpoint_epochs((root / "to").string()) == 5);
  CHECK(read(root / "to" / "model.pt") == read(root / "from" / "model.pt"));
  CHECK(read(root / "to" / "optimizer.pt") == read(root / "from" / "optimizer.pt"));
  CHECK_FALSE(fs::exists(root / "to" / "model.pt.tmp"));
  CHECK(search::checkpoint_epochs((root / "nowhere").string()) == -1);

  // Bad archives: refused, naming what they came from, nothing written.
  const std::string magic = "hybridnet-checkpoint 1\n";
  for (const auto& [bytes, why] : std::vector<std::pair<std::string, std::string>>{
           {"PK\x03\x04", "not a hybridnet checkpoint archive"},
           {magic + "../escape\n1\nx", "outside its directory"},
           {magic + "a/b\n1\nx", "outside its directory"},
           {magic + "model.pt\n10\nshort", "truncated in 'model.pt'"},
           {magic + "model.pt\n-1\nx", "bad size"},
           {magic + "model.pt", "truncated at byte"}}) {
    INFO(why);
    CHECK_THROWS_WITH(search::unpack_checkpoint(bytes, (root / "bad").string(), "db: trial #7"),
                      Catch::StartsWith("db: trial #7: ") && Catch::Contains(why));
  }
  CHECK_FALSE(fs::exists(root / "bad"));
  CHECK_FALSE(fs::exists(root / "escape"));
}

TEST_CASE("run files: checkpoints in the store seed attempts and stand in for missing runs",
          "[search][runs]") {
  const fs::path root = test::fresh_temp_dir("run_files_store");
  auto store = db::open_store((root / "db.sqlite").string(), db::OpenMode::kReadWrite);
  const int64_t study = store->open_study("s", nlohmann::json::object());
  db::NewTrial nt;
  nt.key = "k";
  nt.family = "xnor";
  nt.params = nt.plan = nt.config = nlohmann::json::object();
  const int64_t id = store->add_trial(study, nt).first;
  const auto first = store->claim_trial(study, "elsewhere", 60);
  // Attempt 1 ran on another machine: its epoch-4 checkpoint is in the store only.
  write_checkpoint(root / "other-machine", 4, "w4");
  store->put_checkpoint(first->lease(), 4,
                        search::pack_checkpoint((root / "other-machine").string()));
  REQUIRE(store->release_trial(id, "elsewhere"));
  const search::RunFiles files((root / "runs").string(), store.get());
  write_checkpoint(files.attempt_dir("s", id, 1), 2, "w2-local");  // an older local attempt
  const auto second = store->claim_trial(study, "here", 60);
  const fs::path dir = files.begin_attempt("s", *second);
  CHECK(read(dir / "model.pt") == "w4");
  CHECK(search::checkpoint_epochs(dir.string()) == 4);
  // A SQLite store's workers share the run files: nothing is uploaded.
  write_checkpoint(dir, 5, "w5");
  files.save_to_store(second->lease(), dir.string());
  CHECK(store->checkpoint(id)->epochs == 4);

  // A done trial whose run directory is not here (pulled from a cluster's store) is unpacked.
  write_checkpoint(root / "other-machine", 6, "final");
  std::ofstream(root / "other-machine" / "metrics.json") << "{}";
  store->put_checkpoint(second->lease(), 6,
                        search::pack_checkpoint((root / "other-machine").string()));
  store->finish_trial(second->lease(), {{"accuracy", 0.5}});
  const search::RunFiles elsewhere((root / "offline").string(), store.get());
  const fs::path run = elsewhere.finished_run("s", *store->trial(id));
  CHECK(run == fs::path(elsewhere.attempt_dir("s", id, 2)));
  CHECK(read(run / "model.pt") == "final");
  CHECK(fs::exists(run / "metrics.json"));
}

TEST_CASE("run files: every study name stays under the root, plain names keep their directory",
          "[search][runs]") {
  const fs::path root = test::fresh_temp_dir("run_files_names");
  const RunFiles files((root / "runs").string());
  // Names that were paths: a parent, an absolute path, "..", a NUL, 300 characters.
  const std::vector<std::string> hostile = {
      "../../escaped",        "/tmp/abs", "..", ".", std::string("a\0b", 3), std::string(300, 'x'),
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
  CHECK_THROWS_WITH(check_study_name("", "s.json: study"),
                    "s.json: study: the study name is empty");
  CHECK_THROWS_WITH(check_study_name(std::string(201, 'x'), "s.json: study"),
                    "s.json: study: the study name has 201 characters; at most 200");
  CHECK_THROWS_WITH(check_study_name(std::string("a\0b", 3), "s.json: study"),
                    Catch::Contains("control character (byte 0 at position 1)"));
  CHECK_THROWS_WITH(check_study_name("tab\there", "s.json: study"),
                    Catch::Contains("control character (byte 9"));
}
