#include "search/checkpoint_archive.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "models/atomic_file.h"
#include "models/error.h"

namespace hybridnet::search {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMagic = "hybridnet-checkpoint 1\n";

// The regular files of a checkpoint directory and their inodes (no temporaries).
std::map<std::string, ino_t> checkpoint_files(const fs::path& dir) {
  std::map<std::string, ino_t> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    // claim.json names the attempt that wrote a directory (run_files.cpp), not the checkpoint.
    if (!e.is_regular_file() || (name.size() > 4 && name.substr(name.size() - 4) == ".tmp") ||
        name == "claim.json")
      continue;
    struct stat st {};
    if (::stat(e.path().c_str(), &st) == 0) files[name] = st.st_ino;
  }
  return files;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path.string() + ": cannot read");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A name the archive may hold: one plain path component.
bool plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace

int checkpoint_epochs(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "state.json");
  if (!in || !fs::exists(fs::path(dir) / "model.pt")) return -1;
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("epochs_done") || !j["epochs_done"].is_number_integer())
    return -1;
  return j["epochs_done"].get<int>();
}

std::string pack_checkpoint(const std::string& dir) {
  for (int tries = 0; tries < 5; ++tries) {
    const auto before = checkpoint_files(dir);
    std::string out = kMagic;
    for (const auto& [name, inode] : before) {
      const std::string bytes = read_all(fs::path(dir) / name);
      out += name + "\n" + std::to_string(bytes.size()) + "\n";
      out += bytes;
    }
    if (checkpoint_files(dir) == before) return out;
  }
  throw DataError(dir + ": its checkpoint kept changing while it was read");
}

void unpack_checkpoint(const std::string& bytes, const std::string& dir, const std::string& what) {
  const std::string magic = kMagic;
  if (bytes.compare(0, magic.size(), magic) != 0)
    throw DataError(what + ": not a hybridnet checkpoint archive");
  std::vector<std::pair<std::string, std::string>> files;
  size_t at = magic.size();
  while (at < bytes.size()) {
    const size_t name_end = bytes.find('\n', at);
    const size_t size_end =
        name_end == std::string::npos ? name_end : bytes.find('\n', name_end + 1);
    if (size_end == std::string::npos)
      throw DataError(what + ": checkpoint archive truncated at byte " + std::to_string(at));
    const std::string name = bytes.substr(at, name_end - at);
    if (!plain_file_name(name))
      throw DataError(what + ": checkpoint archive names a file outside its directory ('" + name +
                      "')");
    const std::string size_text = bytes.substr(name_end + 1, size_end - name_end - 1);
    if (size_text.empty() || size_text.size() > 15 ||
        size_text.find_first_not_of("0123456789") != std::string::npos)
      throw DataError(what + ": checkpoint archive has a bad size for '" + name + "'");
    const size_t size = std::stoull(size_text);
    if (size > bytes.size() - size_end - 1)
      throw DataError(what + ": checkpoint archive truncated in '" + name + "'");
    files.emplace_back((fs::path(dir) / name).string(), bytes.substr(size_end + 1, size));
    at = size_end + 1 + size;
  }
  fs::create_directories(dir);
  for (const auto& [path, contents] : files) write_file_atomic(path, contents);
}

}  // namespace hybridnet::search
