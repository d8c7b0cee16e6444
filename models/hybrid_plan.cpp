// Plan parsing, validation, canonical form and hashing.
#include "models/hybrid_plan.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "models/error.h"
#include "models/json_input.h"
#include "models/atomic_file.h"

namespace hybridnet::models {

using nlohmann::json;

namespace {

Precision default_precision(const LayerSpec& l, bool fp_shortcuts) {
  if (l.role == LayerRole::kStem || l.role == LayerRole::kClassifier || l.role == LayerRole::kExit)
    return Precision::fp();
  if (l.role == LayerRole::kShortcut && fp_shortcuts) return Precision::fp();
  return Precision::binary();
}

// The edge-cloud paper's precisions: edge body convs p1-bit, everything else FP.
Precision edge_cloud_precision(const LayerSpec& l, const std::set<int>& edge, int edge_bits) {
  if (l.role == LayerRole::kBody && edge.count(l.index)) return Precision::kbit(edge_bits);
  return Precision::fp();
}

void check_keys(const json& obj, const std::set<std::string>& allowed, const std::string& path) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (!allowed.count(it.key())) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw ConfigError(path + "." + it.key() + ": unknown key (expected one of: " + list + ")");
    }
}

template <typename T>
T get_field(const json& obj, const std::string& key, const std::string& path, T fallback) {
  if (!obj.contains(key)) return fallback;
  const json& v = obj.at(key);
  try {
    return v.get<T>();
  } catch (const json::exception&) {
    throw ConfigError(path + "." + key + ": wrong type (" + v.type_name() + ")");
  }
}

int get_bits(const json& obj, const std::string& key, const std::string& path, int fallback) {
  if (obj.contains(key) && !obj.at(key).is_number_integer())
    throw ConfigError(path + "." + key + ": must be an integer bit width (1..8 or 32)");
  // Read wide: 4294967297 must not wrap to 1 on its way into an int.
  const int64_t bits = get_field<int64_t>(obj, key, path, fallback);
  if (bits < 1 || bits > 32 || !valid_bits(static_cast<int>(bits)))
    throw ConfigError(path + "." + key + ": " + std::to_string(bits) +
                      " is not a valid bit width (1..8 or 32)");
  return static_cast<int>(bits);
}

}  // namespace

ArchConfig HybridPlan::arch_config(int in_channels, int in_h, int in_w, int num_classes) const {
  ArchConfig c;
  c.name = arch;
  c.width = width;
  c.shortcut = shortcut;
  c.in_channels = in_channels;
  c.in_h = in_h;
  c.in_w = in_w;
  c.num_classes = num_classes;
  c.exits = exits;
  return c;
}

Architecture HybridPlan::describe() const {
  return describe_architecture(arch_config(3, 224, 224, 10));
}

const Precision& HybridPlan::precision(const std::string& name) const {
  for (const auto& l : layers)
    if (l.name == name) return l.precision;
  throw ConfigError("plan for " + arch + " has no layer '" + name + "'");
}

Precision& HybridPlan::precision(const std::string& name) {
  return const_cast<Precision&>(static_cast<const HybridPlan*>(this)->precision(name));
}

json HybridPlan::to_json() const {
  json layer_list = json::array();
  for (const auto& l : layers)
    layer_list.push_back({{"name", l.name},
                          {"weight_bits", l.precision.weight_bits},
                          {"input_bits", l.precision.input_bits},
                          {"fp_fraction", l.precision.fp_fraction}});
  json j = {{"arch", arch},
            {"width", width},
            {"shortcut", {{"type", to_string(shortcut.type)}, {"every", shortcut.every}}},
            {"layers", layer_list}};
  if (edge_layers > 0 || !exits.empty())
    j["edge_cloud"] = {{"edge_layers", edge_layers}, {"exits", exits}};
  return j;
}

std::string HybridPlan::hash() const { return text_hash(to_json().dump()); }

std::string text_hash(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool HybridPlan::operator==(const HybridPlan& o) const { return to_json() == o.to_json(); }

HybridPlan HybridPlan::from_json(const json& j, const std::string& where) {
  const std::string root = where.empty() ? std::string("plan") : where + ": plan";
  if (!j.is_object()) throw ConfigError(root + ": must be a JSON object");
  check_keys(j, {"arch", "width", "shortcut", "layers", "edge_cloud"}, root);
  HybridPlan plan;
  if (!j.contains("arch")) throw ConfigError(root + ".arch: missing");
  plan.arch = get_field<std::string>(j, "arch", root, "");
  plan.width = get_field<double>(j, "width", root, 1.0);
  if (!(plan.width > 0.0 && plan.width <= 16.0))
    throw ConfigError(root + ".width: " + std::to_string(plan.width) + " must be in (0, 16]");

  plan.shortcut = default_shortcut(plan.arch);
  bool fp_shortcuts = false;
  if (j.contains("shortcut")) {
    const json& s = j.at("shortcut");
    const std::string path = root + ".shortcut";
    if (!s.is_object()) throw ConfigError(path + ": must be an object {\"type\", \"every\"}");
    check_keys(s, {"type", "every"}, path);
    std::string type = get_field<std::string>(s, "type", path, to_string(plan.shortcut.type));
    // conv_fp / conv_quantized only set the default precision of the 1x1 shortcut convs.
    if (type == "conv_fp" || type == "conv_quantized") {
      fp_shortcuts = type == "conv_fp";
      type = "conv";
    }
    try {
      plan.shortcut.type = shortcut_type_from_string(type);
    } catch (const ConfigError& e) {
      throw ConfigError(path + ".type: " + e.what() +
                        " (conv_fp and conv_quantized are also accepted)");
    }
    plan.shortcut.every = get_field<int>(s, "every", path, plan.shortcut.every);
    if (plan.shortcut.every != 1 && plan.shortcut.every != 2)
      throw ConfigError(path + ".every: must be 1 or 2");
  }

  int edge_bits = 1;
  if (j.contains("edge_cloud")) {
    const json& e = j.at("edge_cloud");
    const std::string path = root + ".edge_cloud";
    if (!e.is_object())
      throw ConfigError(path + ": must be an object {\"edge_layers\", \"edge_bits\", \"exits\"}");
    check_keys(e, {"edge_layers", "edge_bits", "exits"}, path);
    plan.edge_layers = get_field<int>(e, "edge_layers", path, 0);
    if (plan.edge_layers < 0) throw ConfigError(path + ".edge_layers: must be >= 0");
    edge_bits = get_bits(e, "edge_bits", path, 1);
    if (edge_bits == 32) throw ConfigError(path + ".edge_bits: the edge is quantized (1..8 bits)");
    plan.exits = get_field<std::vector<int>>(e, "exits", path, {});
    // One exit at the end of the edge part unless told otherwise.
    if (!e.contains("exits") && plan.edge_layers > 0) plan.exits = {plan.edge_layers};
    for (size_t k = 0; k < plan.exits.size(); ++k)
      if (plan.edge_layers > 0 && plan.exits[k] > plan.edge_layers)
        throw ConfigError(path + ".exits[" + std::to_string(k) + "]: " +
                          std::to_string(plan.exits[k]) + " is past the edge part (" +
                          std::to_string(plan.edge_layers) + " layers); exits run on the edge");
  }

  Architecture a;
  const std::vector<int> exits = std::move(plan.exits);
  plan.exits.clear();
  try {
    a = plan.describe();
  } catch (const ConfigError& e) {
    throw ConfigError(root + ".arch: " + e.what());
  }
  if (plan.edge_layers > 0) {
    const int block = a.block_ending_at(plan.edge_layers);
    if (block < 0 || block + 1 == static_cast<int>(a.blocks.size()))
      throw ConfigError(root + ".edge_cloud.edge_layers: " + std::to_string(plan.edge_layers) +
                        " does not end a block of " + plan.arch + " before the last (possible: " +
                        a.split_points_text() + ")");
  }
  plan.exits = exits;
  if (!plan.exits.empty()) {
    try {
      a = plan.describe();
    } catch (const ConfigError& e) {
      throw ConfigError(root + ".edge_cloud.exits: " + e.what());
    }
  }
  // The edge: the stem (FP) and the blocks that end at or before `edge_layers` body convs.
  const auto edge_layers = a.block_layers_through(a.block_ending_at(plan.edge_layers));
  const std::set<int> edge(edge_layers.begin(), edge_layers.end());
  for (const auto& l : a.layers)
    plan.layers.push_back({l.name, plan.edge_layers > 0
                                       ? edge_cloud_precision(l, edge, edge_bits)
                                       : default_precision(l, fp_shortcuts)});

  if (j.contains("layers")) {
    const json& list = j.at("layers");
    if (!list.is_array()) throw ConfigError(root + ".layers: must be an array");
    std::set<std::string> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = root + ".layers[" + std::to_string(i) + "]";
      const json& e = list[i];
      if (!e.is_object()) throw ConfigError(path + ": must be an object");
      check_keys(e, {"name", "weight_bits", "input_bits", "fp_fraction"}, path);
      if (!e.contains("name")) throw ConfigError(path + ".name: missing");
      const std::string name = get_field<std::string>(e, "name", path, "");
      const int index = a.find(name);
      if (index < 0)
        throw ConfigError(path + ".name: unknown layer '" + name + "' for " + plan.arch +
                          " (see `hybridnet arch --model " + plan.arch + "`)");
      if (!seen.insert(name).second)
        throw ConfigError(path + ".name: layer '" + name + "' listed twice");
      Precision& p = plan.layers[index].precision;
      p.weight_bits = get_bits(e, "weight_bits", path, p.weight_bits);
      p.input_bits = get_bits(e, "input_bits", path, p.input_bits);
      p.fp_fraction = get_field<double>(e, "fp_fraction", path, p.fp_fraction);
      if (!(p.fp_fraction >= 0.0 && p.fp_fraction <= 1.0))
        throw ConfigError(path + ".fp_fraction: " + std::to_string(p.fp_fraction) +
                          " must be in [0, 1]");
    }
  }
  // Canonical form: an FP layer has no section to split, and p = 1 means fully FP.
  for (auto& l : plan.layers) {
    if (l.precision.is_fp()) l.precision = Precision::fp();
  }
  return plan;
}

HybridPlan load_plan_file(const std::string& path) {
  if (!std::ifstream(path)) throw ConfigError(path + ": cannot open plan file");
  return HybridPlan::from_json(read_json_input_file(path), path);
}

void save_plan_file(const HybridPlan& plan, const std::string& path) {
  write_file_atomic(path, plan.to_json().dump(2) + "\n");
}

HybridPlan xnor_plan(const std::string& arch, double width, ShortcutPolicy shortcut) {
  json j = {{"arch", arch},
            {"width", width},
            {"shortcut", {{"type", to_string(shortcut.type)}, {"every", shortcut.every}}}};
  return HybridPlan::from_json(j, "");
}

HybridPlan with_shortcut_every(const HybridPlan& plan, int every) {
  if (plan.shortcut.type == ShortcutType::kNone || plan.shortcut.every == every) return plan;
  HybridPlan out = xnor_plan(plan.arch, plan.width, {plan.shortcut.type, every});
  out.edge_layers = plan.edge_layers;
  out.exits = plan.exits;
  for (const auto& [from, to] : layers_matched_by_role(plan.describe(), out.describe()))
    out.layers[to].precision = plan.layers[from].precision;
  return out;
}

}  // namespace hybridnet::models
