#include "search/space.h"

#include <set>

#include "models/energy_table.h"
#include "models/error.h"
#include "models/presets.h"
#include "search/family_registry.h"
#include "search/run_files.h"
#include "search/strict_json.h"

namespace hybridnet::search {

using nlohmann::json;

std::vector<json> FamilyGrid::settings() const {
  std::vector<json> out = {json::object()};
  for (size_t k = 0; k < keys.size(); ++k) {
    std::vector<json> next;
    for (const auto& partial : out)
      for (const auto& v : values[k]) {
        json s = partial;
        s[keys[k]] = v;
        next.push_back(std::move(s));
      }
    out = std::move(next);
  }
  return out;
}

bool SearchSpace::needs_profile() const {
  for (const auto& f : families)
    if (family_named(f.family).needs_profile()) return true;
  return false;
}

namespace {

// A scalar or a non-empty array of scalars, each of the example's kind.
std::vector<json> grid_values(const json& v, const json& example, const std::string& where,
                              const std::string& path, bool allow_auto = false,
                              bool or_numbers = false) {
  const json list = v.is_array() ? v : json::array({v});
  if (list.empty()) throw ConfigError(where + ": " + path + ": empty grid");
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& x = list[i];
    bool numbers = or_numbers && x.is_array() && !x.empty();
    for (const auto& n : x.is_array() ? x : json::array()) numbers = numbers && n.is_number_integer();
    const bool ok = same_kind(example, x) || numbers ||
                    (allow_auto && (x == "auto" || x.is_number()));
    if (!ok)
      throw ConfigError(where + ": " + path + (v.is_array() ? "[" + std::to_string(i) + "]" : "") +
                        ": expected " +
                        (allow_auto   ? std::string("a number or \"auto\"")
                         : or_numbers ? json_kind(example) + " or a non-empty array of integers"
                                      : json_kind(example)) +
                        ", got " + x.dump());
  }
  return list.get<std::vector<json>>();
}

template <class T>
std::vector<T> list_of(const json& j, const std::string& key, const std::vector<T>& fallback,
                       const json& example, const std::string& where) {
  if (!j.contains(key)) return fallback;
  std::vector<T> out;
  for (const auto& v : grid_values(j.at(key), example, where, key)) out.push_back(v.get<T>());
  return out;
}

FamilyGrid parse_family(const std::string& name, const json& body, const std::string& where) {
  const std::string path = "families." + name;
  const Family* family = find_family(name);
  if (!family)
    throw ConfigError(where + ": " + path + ": unknown family (known: " + family_names() + ")");
  if (!body.is_object())
    throw ConfigError(where + ": " + path + ": expected an object of parameter grids");
  FamilyGrid g;
  g.family = family->name();  // an earlier spelling reads as today's
  for (const auto& [key, value] : body.items()) {
    if (key == "train") continue;
    bool known = false;
    for (const auto& p : family->params()) known = known || p.name == key;
    if (!known) {
      std::string takes;
      for (const auto& p : family->params()) takes += (takes.empty() ? "" : ", ") + p.name;
      throw ConfigError(where + ": " + path + "." + key + ": unknown parameter (" + name +
                        (takes.empty() ? " takes none" : " takes " + takes) + "; and \"train\")");
    }
  }
  for (const auto& p : family->params()) {
    g.keys.push_back(p.name);
    if (!body.contains(p.name)) {
      g.values.push_back({p.default_value});
    } else if (p.list) {  // one value, checked with the family's other values below
      const json& v = body.at(p.name);
      if (!v.is_string() && !v.is_array())
        throw ConfigError(where + ": " + path + "." + p.name + ": expected a string or an array, got " +
                          v.dump());
      g.values.push_back({v});
    } else {
      g.values.push_back(grid_values(body.at(p.name), p.default_value, where,
                                     path + "." + p.name, p.default_value == "auto",
                                     p.or_numbers));
    }
  }
  if (body.contains("train")) {
    strict_from_json<models::TrainConfig>(body.at("train"), where, path + ".train");
    g.train_override = body.at("train");
  }
  return g;
}

}  // namespace

SearchSpace parse_space(const json& j, const std::string& where) {
  if (!j.is_object()) throw ConfigError(where + ": expected a JSON object");
  static const std::set<std::string> keys = {
      "study",      "arch",     "width", "data",     "train",  "seeds",  "energy_table",
      "objectives", "analysis", "init",  "families", "search", "comment"};
  for (const auto& [key, v] : j.items())
    if (!keys.count(key))
      throw ConfigError(where + ": " + key +
                        ": unknown key (known: study, arch, width, data, train, seeds, "
                        "energy_table, objectives, analysis, init, families, search, comment)");
  SearchSpace s;
  s.file = where;
  s.raw = j;
  if (!j.contains("study") || !j.at("study").is_string() || j.at("study").get<std::string>().empty())
    throw ConfigError(where + ": study: a non-empty string naming the study is required");
  s.study = j.at("study");
  check_study_name(s.study, where + ": study");
  s.archs = list_of<std::string>(j, "arch", s.archs, "resnet20", where);
  s.widths = list_of<double>(j, "width", s.widths, 1.0, where);
  for (double w : s.widths)
    if (!(w > 0)) throw ConfigError(where + ": width: " + std::to_string(w) + " must be > 0");
  s.seeds = list_of<uint64_t>(j, "seeds", s.seeds, json(uint64_t{0}), where);
  if (j.contains("data")) s.data = strict_from_json<models::DataOptions>(j.at("data"), where, "data");
  try {
    models::data_shape(s.data);  // a known dataset, values in range
  } catch (const ConfigError& e) {
    throw ConfigError(where + ": " + e.what());
  }
  // A folder's classes become part of every trial's settings: a folder with other classes is
  // other data, and queries of the study (the hypervolume's chance level) need the class count
  // without the folder.
  if (s.data.name == "folder" && s.data.classes.empty()) s.data.classes = models::class_names(s.data);
  if (j.contains("train")) {
    const json& t = j.at("train");
    s.train = strict_from_json<models::TrainConfig>(t, where, "train");
    if (t.contains("threads"))
      throw ConfigError(where + ": train.threads: the sweep divides the cores (use --jobs, --threads)");
    // Like `hybridnet train`: the optimizer's usual learning rate unless one is given.
    if (!t.contains("lr")) s.train.lr = s.train.default_lr();
  } else {
    s.train.optimizer = models::Optimizer::kAdam;
    s.train.lr = 1e-3;
  }
  try {
    models::validate(s.train);
  } catch (const ConfigError& e) {
    throw ConfigError(where + ": train: " + e.what());
  }
  if (j.contains("search")) s.search = parse_search_strategy(j.at("search"), s.train.epochs, where);
  // Successive halving chooses on a validation split, never on the test set it reports.
  if (s.search.multi_fidelity()) {
    const bool given = j.contains("data") && j.at("data").contains("val_fraction");
    if (!given) s.data.val_fraction = 0.1;
    if (!(s.data.val_fraction > 0))
      throw ConfigError(where + ": data.val_fraction: successive halving promotes on a "
                        "validation split; give a fraction > 0 (default 0.1)");
  }
  if (j.contains("energy_table")) {
    if (!j.at("energy_table").is_string())
      throw ConfigError(where + ": energy_table: expected a string");
    s.energy_table = j.at("energy_table");
  }
  try {
    models::load_energy_table(s.energy_table);
  } catch (const ConfigError& e) {
    throw ConfigError(where + ": energy_table: " + e.what());
  }
  if (j.contains("objectives")) {
    const json& o = j.at("objectives");
    if (!o.is_array() || o.empty())
      throw ConfigError(where + ": objectives: expected a non-empty array like [\"accuracy:max\"]");
    s.objectives.clear();
    for (size_t i = 0; i < o.size(); ++i) {
      const std::string path = where + ": objectives[" + std::to_string(i) + "]";
      if (!o[i].is_string()) throw ConfigError(path + ": expected a string");
      s.objectives.push_back(parse_objective(o[i], path));
    }
    check_distinct(s.objectives, where + ": objectives");
  }
  if (j.contains("analysis"))
    s.analysis = strict_from_json<AnalysisSettings>(j.at("analysis"), where, "analysis");
  if (s.analysis.samples < 1)
    throw ConfigError(where + ": analysis.samples: must be >= 1");

  if (!j.contains("families") || !j.at("families").is_object() || j.at("families").empty())
    throw ConfigError(where + ": families: a non-empty object of family grids is required");
  for (const auto& [name, body] : j.at("families").items()) {
    s.families.push_back(parse_family(name, body, where));
    for (size_t i = 0; i + 1 < s.families.size(); ++i)
      if (s.families[i].family == s.families.back().family)
        throw ConfigError(where + ": families." + name + ": " + s.families.back().family +
                          " is given twice (under two spellings)");
  }

  if (j.contains("init")) {
    const json& init = j.at("init");
    if (!init.is_string() || (init != "scratch" && init != "baseline"))
      throw ConfigError(where + ": init: expected \"scratch\" or \"baseline\", got " + init.dump());
    s.init = init;
    if (s.init == "baseline" && !s.needs_profile())
      throw ConfigError(where +
                        ": init: \"baseline\" starts the analysis families (pca, "
                        "partition, combined) from their XNOR baseline; this space has none");
  }

  // A bounded grid, counted before it is expanded: a typo of 10^5 values fails at once.
  double candidates = 0;
  for (const auto& g : s.families) {
    double settings = 1;
    for (const auto& v : g.values) settings *= static_cast<double>(v.size());
    candidates += settings;
  }
  candidates *= static_cast<double>(s.archs.size() * s.widths.size() * s.seeds.size());
  if (candidates > kMaxSpaceCandidates)
    throw ConfigError(where + ": the grid has " + std::to_string(static_cast<int64_t>(candidates)) +
                      " candidates (settings x archs x widths x seeds); at most " +
                      std::to_string(kMaxSpaceCandidates) + ": split it into several spaces");

  // Every setting must make a plan for every architecture and width, and its other values must
  // be valid, before anything trains.
  for (const auto& g : s.families) {
    const Family& f = family_named(g.family);
    const Family& planner = f.needs_profile() ? family_named("xnor") : f;  // its baseline
    for (const auto& setting : g.settings()) {
      const std::string path = where + ": families." + g.family + " " + setting.dump();
      try {
        f.check(setting);
        for (const auto& arch : s.archs)
          for (double w : s.widths)
            planner.plan(f.needs_profile() ? json::object() : setting, arch, w);
      } catch (const ConfigError& e) {
        throw ConfigError(path + ": " + e.what());
      }
    }
  }
  return s;
}

SearchSpace load_space(const std::string& path) {
  return parse_space(models::read_json_file(path), path);
}

}  // namespace hybridnet::search
