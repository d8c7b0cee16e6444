// Preset plans from the four papers (see presets() for the list and README for sources).
#include "models/presets.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "models/error.h"

namespace hybridnet::models {

const std::vector<PresetInfo>& presets() {
  static const std::vector<PresetInfo> kPresets = {
      {"fp", "width=1", "every layer full precision"},
      {"xnor", "width=1", "XNOR-Net: stem and classifier FP, every other layer 1/1"},
      {"hybrid-res-a", "width=1", "ResNet: XNOR with FP 1x1 shortcut (downsampling) convs"},
      {"inter-layer", "k=6, width=1",
       "ResNet inter-layer sectioning (Hybrid-Res B): last k body layers FP",
       {"hybrid-res-b"}},
      {"intra-layer", "p=0.1, width=1",
       "intra-layer sectioning (Hybrid-Res C, Hybrid-VGG B): fraction p FP in every body conv",
       {"hybrid-res-c", "hybrid-vgg-b"}},
      {"hybrid-vgg-a", "width=1", "VGG: XNOR + FP 1x1 residual convs every two convs"},
      {"hybrid-vgg-a-prime", "width=1", "hybrid-vgg-a with the second FC layer FP"},
      {"hybrid-vgg-c", "width=1", "VGG inter-layer sectioning: FC layers FP, convs binary"},
      {"quantized-k", "k=2, width=1",
       "every XNOR-binary layer k-bit weights and inputs (vgg-2bit)"},
      {"inflate", "width=2", "XNOR at a width multiplier"},
      {"hybrid-comp-a", "k=6, kb=2, width=1", "last k body layers kb-bit, the rest binary"},
      {"binary-shortcut-1", "width=1", "ResNet XNOR with a shortcut around every conv"},
      {"edge-cloud", "M=(half), bits=1, exits=1, width=1",
       "first M body convs bits-bit on the edge (stem and shortcuts FP), the rest FP in the "
       "cloud; exits early exits spread evenly over the edge, the last at its end"},
  };
  return kPresets;
}

namespace {

struct Spec {
  std::string name;
  PresetParams params;
};

Spec parse_spec(const std::string& spec) {
  Spec s;
  const auto colon = spec.find(':');
  s.name = spec.substr(0, colon);
  if (colon == std::string::npos) return s;
  std::stringstream ss(spec.substr(colon + 1));
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("preset '" + spec + "': parameter '" + item + "' must be key=value");
    const std::string key = item.substr(0, eq);
    try {
      size_t used = 0;
      const double v = std::stod(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) throw std::invalid_argument("trailing");
      s.params[key] = v;
    } catch (const std::exception&) {
      throw ConfigError("preset '" + spec + "': parameter " + key + " must be a number");
    }
  }
  return s;
}

class Params {
 public:
  Params(const Spec& s) : spec_(s) {}
  double get(const std::string& key, double fallback) {
    used_.insert(key);
    auto it = spec_.params.find(key);
    return it == spec_.params.end() ? fallback : it->second;
  }
  int get_int(const std::string& key, int fallback, int lo, int hi) {
    const double v = get(key, fallback);
    if (v != std::floor(v) || v < lo || v > hi)
      throw ConfigError("preset " + spec_.name + ": " + key + "=" + fmt(v) +
                        " must be an integer in [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "]");
    return static_cast<int>(v);
  }
  void check_all_used() const {
    for (const auto& [k, v] : spec_.params)
      if (!used_.count(k)) throw ConfigError("preset " + spec_.name + ": unknown parameter " + k);
  }
  static std::string fmt(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  }

 private:
  const Spec& spec_;
  std::set<std::string> used_;
};

bool is_vgg(const std::string& arch) { return arch.rfind("vgg", 0) == 0; }

void require(bool ok, const std::string& preset, const std::string& arch, const char* why) {
  if (!ok) throw ConfigError("preset " + preset + " does not apply to " + arch + ": " + why);
}

// The last k layers of `body`, erroring when there are fewer.
std::vector<int> last_k(const std::vector<int>& body, int k, const std::string& preset) {
  if (k > static_cast<int>(body.size()))
    throw ConfigError("preset " + preset + ": k=" + std::to_string(k) + " exceeds the " +
                      std::to_string(body.size()) + " body layers");
  return std::vector<int>(body.end() - k, body.end());
}

// Edge-cloud paper: M body convs on the edge at `bits`, early exits spread evenly over the edge
// at block ends (two exits: the middle and the end, as the paper's Table IV).
HybridPlan edge_cloud_preset(const std::string& spec_text, Params& params,
                             const std::string& arch) {
  const double width = params.get("width", 1.0);
  const Architecture a = xnor_plan(arch, width, default_shortcut(arch)).describe();
  const std::vector<int> ends = a.split_points();
  if (ends.empty()) throw ConfigError("preset edge-cloud: " + arch + " has no block to split at");
  // Default split: the first block end at or past half the body convs.
  const int total = a.convs_through_block(static_cast<int>(a.blocks.size()) - 1);
  int half = ends.back();
  for (int e : ends)
    if (2 * e >= total) {
      half = e;
      break;
    }
  const int m = params.get_int("M", half, 1, ends.back());
  const int bits = params.get_int("bits", 1, 1, 8);
  const int count = params.get_int("exits", 1, 1, 8);
  std::vector<int> exits;
  for (int j = 1; j <= count; ++j) {
    const double target = double(m) * j / count;
    int best = 0;
    for (int e : ends)
      if (e <= target + 1e-9) best = e;
    if (best == 0 || (!exits.empty() && best == exits.back()))
      throw ConfigError("preset edge-cloud: " + std::to_string(count) + " exits do not fit in " +
                        std::to_string(m) + " edge layers of " + arch);
    exits.push_back(best);
  }
  params.check_all_used();
  const nlohmann::json j = {
      {"arch", arch},
      {"width", width},
      {"edge_cloud", {{"edge_layers", m}, {"edge_bits", bits}, {"exits", exits}}}};
  return HybridPlan::from_json(j, "preset " + spec_text);
}

}  // namespace

namespace {

// The current spelling of a preset name, or empty when it names no preset.
std::string canonical_name(const std::string& name) {
  for (const auto& p : presets()) {
    if (p.name == name) return p.name;
    for (const auto& old : p.old_names)
      if (old == name) return p.name;
  }
  return "";
}

// "name:key=value,..." as a user would write it, for errors.
std::string spec_text(const std::string& name, const PresetParams& params) {
  std::string s = name;
  for (const auto& [k, v] : params)
    s += (s == name ? ":" : ",") + k + "=" + Params::fmt(v);
  return s;
}

}  // namespace

HybridPlan make_preset(const std::string& given_name, const PresetParams& given_params,
                       const std::string& arch) {
  const Spec spec{canonical_name(given_name), given_params};
  const std::string text = spec_text(given_name, given_params);
  const std::string& name = spec.name;
  if (name.empty()) {
    std::string names;
    for (const auto& p : presets()) names += (names.empty() ? "" : ", ") + p.name;
    throw ConfigError("unknown preset '" + given_name + "' (known: " + names +
                      "; or give a plan JSON file)");
  }
  Params params(spec);
  if (name == "edge-cloud") return edge_cloud_preset(text, params, arch);
  const bool vgg = is_vgg(arch);
  const double width = params.get("width", name == "inflate" ? 2.0 : 1.0);
  ShortcutPolicy sc = default_shortcut(arch);
  if (name == "hybrid-vgg-a" || name == "hybrid-vgg-a-prime") {
    require(vgg, name, arch, "it adds residual connections to a plain VGG");
    sc = {ShortcutType::kConv, 2};
  } else if (name == "binary-shortcut-1") {
    require(!vgg, name, arch, "it is defined for ResNets");
    sc.every = 1;
  }
  HybridPlan plan = xnor_plan(arch, width, sc);
  const Architecture a = plan.describe();
  auto set = [&](int index, Precision p) { plan.layers[index].precision = p; };

  if (name == "xnor" || name == "inflate" || name == "binary-shortcut-1") {
    // the XNOR plan itself, at the requested width / shortcut wiring
  } else if (name == "fp") {
    for (auto& l : plan.layers) l.precision = Precision::fp();
  } else if (name == "hybrid-res-a" || name == "hybrid-vgg-a" || name == "hybrid-vgg-a-prime") {
    if (name == "hybrid-res-a")
      require(!vgg, name, arch, "VGGs have no residual convs; use hybrid-vgg-a");
    for (const auto& l : a.layers)
      if (l.role == LayerRole::kShortcut) set(l.index, Precision::fp());
    if (name == "hybrid-vgg-a-prime") set(a.find("fc2"), Precision::fp());
  } else if (name == "inter-layer") {
    require(!vgg, name, arch, "ResNets only (a VGG's inter-layer sectioning is hybrid-vgg-c)");
    for (int i : last_k(a.body_layers(), params.get_int("k", 6, 0, 1000), name))
      set(i, Precision::fp());
  } else if (name == "hybrid-comp-a") {
    const int k = params.get_int("k", 6, 0, 1000);
    const int kb = params.get_int("kb", 2, 1, 8);
    for (int i : last_k(a.body_layers(), k, name)) set(i, Precision::kbit(kb));
  } else if (name == "intra-layer") {
    const double p = params.get("p", 0.1);
    if (!(p >= 0.0 && p <= 1.0)) throw ConfigError("preset " + name + ": p must be in [0, 1]");
    for (int i : a.body_layers())
      if (a.layers[i].kind == LayerKind::kConv) set(i, Precision{1, 1, p});
  } else if (name == "hybrid-vgg-c") {
    require(vgg, name, arch, "it makes a VGG's FC layers FP");
    for (int i : a.classifier) set(i, Precision::fp());
  } else if (name == "quantized-k") {
    const int k = params.get_int("k", 2, 1, 8);
    for (auto& l : plan.layers)
      if (!l.precision.is_fp()) l.precision = Precision::kbit(k);
  } else {
    throw std::logic_error("make_preset(): no recipe for preset " + name);
  }
  params.check_all_used();
  // Round-trip through the parser so presets obey exactly the rules of user plans.
  return HybridPlan::from_json(plan.to_json(), "preset " + text);
}

HybridPlan make_preset(const std::string& spec, const std::string& arch) {
  const Spec s = parse_spec(spec);
  return make_preset(s.name, s.params, arch);
}

HybridPlan resolve_plan_argument(const std::string& plan_arg, const std::string& arch) {
  const bool looks_like_file =
      plan_arg.find(".json") != std::string::npos || plan_arg.find('/') != std::string::npos;
  // A directory named like a preset (a run directory called xnor, say) is not a plan file.
  if (looks_like_file || std::filesystem::is_regular_file(plan_arg)) {
    HybridPlan plan = load_plan_file(plan_arg);
    if (!arch.empty() && plan.arch != arch)
      throw ConfigError(plan_arg + ": plan is for " + plan.arch + " but --model is " + arch);
    return plan;
  }
  return make_preset(plan_arg, arch.empty() ? kDefaultArch : arch);
}

}  // namespace hybridnet::models
