#include "search/family_registry.h"

#include <memory>

#include "models/error.h"

namespace hybridnet::search {

// One factory per file in search/families/.
std::vector<std::unique_ptr<Family>> make_preset_families();
std::unique_ptr<Family> make_pca_family();
std::unique_ptr<Family> make_partition_family();
std::unique_ptr<Family> make_edge_cloud_family();
std::unique_ptr<Family> make_combined_family();
std::unique_ptr<Family> make_per_layer_family();

namespace {

std::vector<std::unique_ptr<Family>> make_all() {
  std::vector<std::unique_ptr<Family>> all = make_preset_families();
  all.push_back(make_pca_family());
  all.push_back(make_partition_family());
  all.push_back(make_edge_cloud_family());
  all.push_back(make_combined_family());
  all.push_back(make_per_layer_family());
  return all;
}

}  // namespace

const std::vector<const Family*>& families() {
  static const std::vector<std::unique_ptr<Family>> owned = make_all();
  static const std::vector<const Family*> all = [] {
    std::vector<const Family*> v;
    for (const auto& f : owned) v.push_back(f.get());
    return v;
  }();
  return all;
}

const Family* find_family(const std::string& name) {
  for (const Family* f : families()) {
    if (f->name() == name) return f;
    for (const auto& old : f->old_names())
      if (old == name) return f;
  }
  return nullptr;
}

std::string family_names() {
  std::string out;
  for (const Family* f : families()) out += (out.empty() ? "" : ", ") + f->name();
  return out;
}

const Family& family_named(const std::string& name) {
  const Family* f = find_family(name);
  if (!f) throw ConfigError("unknown family '" + name + "' (known: " + family_names() + ")");
  return *f;
}

}  // namespace hybridnet::search
