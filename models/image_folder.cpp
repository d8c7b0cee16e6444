#include "models/image_folder.h"

#include <algorithm>
#include <filesystem>

#include "models/error.h"

namespace hybridnet::models {

namespace fs = std::filesystem;

namespace {

bool image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

}  // namespace

std::vector<std::string> list_classes(const std::string& split_dir) {
  std::error_code ec;
  if (!fs::is_directory(split_dir, ec))
    throw DataError(split_dir + ": image folder split not found (expected ROOT/train/<class>/...)");
  std::vector<std::string> classes;
  for (const auto& e : fs::directory_iterator(split_dir, ec))
    if (e.is_directory()) classes.push_back(e.path().filename().string());
  if (ec) throw DataError(split_dir + ": cannot list (" + ec.message() + ")");
  if (classes.empty()) throw DataError(split_dir + ": no class directories");
  std::sort(classes.begin(), classes.end());
  return classes;
}

ImageList list_images(const std::string& split_dir, const std::vector<std::string>& classes) {
  const auto present = list_classes(split_dir);
  for (const auto& c : present)
    if (std::find(classes.begin(), classes.end(), c) == classes.end())
      throw DataError((fs::path(split_dir) / c).string() +
                      ": a class the training split does not have");
  ImageList out;
  for (size_t label = 0; label < classes.size(); ++label) {
    const fs::path dir = fs::path(split_dir) / classes[label];
    if (!std::count(present.begin(), present.end(), classes[label])) continue;
    std::vector<std::string> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (!it->is_directory() && image_extension(it->path())) files.push_back(it->path().string());
    if (ec) throw DataError(dir.string() + ": cannot list (" + ec.message() + ")");
    if (files.empty())
      throw DataError(dir.string() + ": empty class (no .jpg, .jpeg or .png file)");
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      out.paths.push_back(std::move(f));
      out.labels.push_back(static_cast<int64_t>(label));
    }
  }
  return out;
}

std::string evaluation_split_dir(const std::string& root) {
  for (const char* name : {"val", "test"}) {
    std::error_code ec;
    const fs::path p = fs::path(root) / name;
    if (fs::is_directory(p, ec)) return p.string();
  }
  return "";
}

void BadFiles::add(const std::string& path, const std::string& why) {
  ++count;
  if (static_cast<int>(first.size()) < kShown) first.push_back(path + ": " + why);
}

std::string BadFiles::message(const std::string& where) const {
  std::string m = std::to_string(count) + " unreadable image" + (count == 1 ? "" : "s") +
                  " in " + where;
  // Paths under `where` are shown relative to it, so a deep directory does not push the
  // file names past the error line's length limit.
  const std::string prefix = where + "/";
  for (size_t i = 0; i < first.size(); ++i) {
    const std::string& f = first[i];
    m += (i ? "; " : ": ") + (f.rfind(prefix, 0) == 0 ? f.substr(prefix.size()) : f);
  }
  if (count > static_cast<int64_t>(first.size())) m += "; ...";
  return m;
}

}  // namespace hybridnet::models
