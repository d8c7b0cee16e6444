// Helpers shared by the tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace hybridnet::test {

/// An empty directory under the system temp dir, unique to this test process.
inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("hybridnet_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

/// fresh_temp_dir, removed again when the test is done with it.
struct TempDir {
  explicit TempDir(const std::string& name) : path(fresh_temp_dir(name)) {}
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

/// The whole contents of a file (empty when it cannot be read).
inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace hybridnet::test
