// Atomic file writing (models/atomic_file.h) and one-line messages (models/message_line.h).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "models/atomic_file.h"
#include "models/error.h"
#include "models/message_line.h"
#include "tests/support.h"

using namespace hybridnet;
namespace fs = std::filesystem;

using test::file_bytes;
using test::fresh_temp_dir;

TEST_CASE("atomic file: links at the path or its temporary are replaced, never written through",
          "[core][atomic_file]") {
  const fs::path dir = fresh_temp_dir("atomic_links");
  std::ofstream(dir / "target") << "precious";
  fs::create_symlink(dir / "target", dir / "model.pt");
  fs::create_symlink(dir / "target", dir / "state.json.tmp");
  write_file_atomic((dir / "model.pt").string(), std::string("new\0bytes", 9));
  write_file_atomic((dir / "state.json").string(), "{}\n");
  CHECK(file_bytes(dir / "target") == "precious");
  CHECK_FALSE(fs::is_symlink(dir / "model.pt"));
  CHECK(file_bytes(dir / "model.pt") == std::string("new\0bytes", 9));
  CHECK(file_bytes(dir / "state.json") == "{}\n");
  CHECK_FALSE(fs::exists(dir / "state.json.tmp"));
  fs::remove_all(dir);
}

TEST_CASE("atomic file: a checkpoint of several files is written all or nothing",
          "[core][atomic_file]") {
  const fs::path dir = fresh_temp_dir("atomic_batch");
  std::ofstream(dir / "model.pt") << "epoch 1";
  std::ofstream(dir / "state.json") << "epoch 1";
  // The second file cannot be written (its directory does not exist): the first keeps its
  // old contents and no temporary is left.
  REQUIRE_THROWS_WITH(
      write_files_atomic({{(dir / "model.pt").string(), "epoch 2"},
                          {(dir / "missing" / "optimizer.pt").string(), "epoch 2"},
                          {(dir / "state.json").string(), "epoch 2"}}),
      Catch::Contains("missing/optimizer.pt: cannot write: No such file or directory"));
  CHECK(file_bytes(dir / "model.pt") == "epoch 1");
  CHECK(file_bytes(dir / "state.json") == "epoch 1");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 2);
  write_files_atomic({{(dir / "model.pt").string(), "epoch 2"},
                      {(dir / "state.json").string(), "epoch 2"}});
  CHECK(file_bytes(dir / "model.pt") == "epoch 2");
  CHECK(file_bytes(dir / "state.json") == "epoch 2");
  fs::remove_all(dir);
}

TEST_CASE("message line: one printable line of bounded length", "[core][message]") {
  CHECK(message_line("plain") == "plain");
  CHECK(message_line("a\nb\r\n\nc\n") == "a; b; c");
  CHECK(message_line("tab\there\x1b[31m\x7f") == "tab\\x09here\\x1b[31m\\x7f");
  const std::string huge(50'000'000, 'x');
  const std::string line = message_line("name " + huge);
  CHECK(line.size() < 400);
  CHECK(line == "name " + std::string(kMaxMessageLength - 5, 'x') + "... (" +
                    std::to_string(huge.size() - (kMaxMessageLength - 5)) + " more characters)");
  CHECK(message_line("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 stays
}
