#include "search/families.h"

#include <cmath>
#include <sstream>

#include "models/error.h"
#include "models/early_exit.h"
#include "models/presets.h"
#include "models/run_spec.h"

namespace hybridnet::search {

using nlohmann::json;

const std::vector<Family>& families() {
  static const std::vector<Family> all = {
      {"fp", {}, false, "every layer full precision"},
      {"xnor", {}, false, "XNOR-Net: stem and classifier FP, every other layer binary"},
      {"quantized-k", {{"k", 2, "weight and input bits, 2..8"}}, false,
       "every quantized layer k-bit (VGG-2bit style)"},
      {"inflate", {{"width", 2.0, "width multiplier (replaces the space's width)"}}, false,
       "XNOR at a width multiplier"},
      {"hybrid-res-a", {}, false, "ResNet: XNOR with FP shortcut (downsampling) convs"},
      {"hybrid-vgg-a", {}, false, "VGG: XNOR with FP 1x1 residual convs every two convs"},
      {"inter-layer", {{"k", 6, "number of last body layers made FP"}}, false,
       "ResNet inter-layer sectioning (Hybrid-Res B)"},
      {"intra-layer", {{"p", 0.1, "fraction of filters FP in every body layer"}}, false,
       "intra-layer sectioning (Hybrid-Res C / Hybrid-VGG B)"},
      {"hybrid-comp-a", {{"k", 6, "last k body layers"}, {"kb", 2, "their bits"}}, false,
       "last k body layers kb-bit, the rest binary"},
      {"pca",
       {{"T", 0.99, "PCA variance threshold"},
        {"delta", 1.0, "significance: k_i - k_(i-1) > delta"},
        {"kb", 2, "bits of the significant layers"}},
       true, "PCA-driven: significant layers get kb-bit weights and inputs"},
      {"partition",
       {{"R", 0.2, "largest share of layers in the high-error cluster"},
        {"gamma", "auto", "size weight of M = E + gamma / FLOPs, or \"auto\""}},
       true, "K-means partition: the high-metric cluster keeps FP inputs"},
      {"edge_cloud",
       {{"M", "auto", "edge body layers, a block end (\"auto\": the first at or past half)"},
        {"bits", 1, "weight and input bits of the edge's body layers (1, 2, 4)"},
        {"exits", 1,
         "early exits: a count spread over the edge (1: at its end; 2: its middle and end), or "
         "positions in body layers, e.g. [[6, 10]]",
         false, true},
        {"lambda", 0.6, "joint training: loss weight shared by the early exits, in (0, 1)"},
        {"mode", "joint", "exit training: joint or separate (frozen backbone)"},
        {"thresholds", "0.1:2.0:0.1",
         "entropy thresholds scored: FROM:TO:STEP, \"T1,T2\" or [T1, T2] (not a grid)", true}},
       false,
       "edge-cloud: bits-bit edge, FP cloud, early exits; one front point per threshold"},
      {"combined",
       {{"R", 0.2, "largest share of layers upgraded"},
        {"kb", 2, "bits of the upgraded layers (32: FP inputs)"}},
       true, "K-means over PCA delta k and the partition metric"},
  };
  return all;
}

const Family* find_family(const std::string& name) {
  for (const auto& f : families())
    if (f.name == name) return &f;
  return nullptr;
}

namespace {

std::string fmt(const json& v) {
  if (v.is_number()) {
    std::ostringstream o;
    o << v.get<double>();
    return o.str();
  }
  return v.dump();
}

std::string preset_spec(const std::string& preset, const json& params,
                        const std::vector<std::string>& keys, double width) {
  std::string spec = preset + ":width=" + fmt(width);
  for (const auto& k : keys) spec += "," + k + "=" + fmt(params.at(k));
  return spec;
}

bool is_vgg(const std::string& arch) { return arch.rfind("vgg", 0) == 0; }

double number(const json& params, const std::string& key) {
  return params.at(key).get<double>();
}

void check_range(const std::string& family, const std::string& key, double v, double lo,
                 double hi, bool lo_open) {
  if (v > hi || v < lo || (lo_open && v == lo)) {
    std::ostringstream o;
    o << family << ": " << key << " = " << v << " must be in " << (lo_open ? "(" : "[") << lo
      << ", " << hi << "]";
    throw ConfigError(o.str());
  }
}

}  // namespace

models::HybridPlan family_plan(const std::string& f, const json& p, const std::string& arch,
                               double width) {
  if (f == "fp" || f == "xnor" || f == "hybrid-res-a" || f == "hybrid-vgg-a")
    return models::make_preset(preset_spec(f, p, {}, width), arch);
  if (f == "quantized-k") return models::make_preset(preset_spec(f, p, {"k"}, width), arch);
  if (f == "inflate") return models::make_preset("inflate:width=" + fmt(p.at("width")), arch);
  if (f == "inter-layer") {
    if (is_vgg(arch)) throw ConfigError("inter-layer does not apply to " + arch + ": ResNets only");
    return models::make_preset(preset_spec("hybrid-res-b", p, {"k"}, width), arch);
  }
  if (f == "intra-layer")
    return models::make_preset(
        preset_spec(is_vgg(arch) ? "hybrid-vgg-b" : "hybrid-res-c", p, {"p"}, width), arch);
  if (f == "hybrid-comp-a")
    return models::make_preset(preset_spec(f, p, {"k", "kb"}, width), arch);
  if (f == "edge_cloud") {
    std::string spec = "edge-cloud:width=" + fmt(width);
    if (!p.at("M").is_string()) spec += ",M=" + fmt(p.at("M"));
    if (p.at("M").is_string() && p.at("M") != "auto")
      throw ConfigError(f + ": M = " + p.at("M").dump() + " must be a layer count or \"auto\"");
    spec += ",bits=" + fmt(p.at("bits"));
    const double bits = number(p, "bits");
    if (bits != 1 && bits != 2 && bits != 4)
      throw ConfigError(f + ": bits = " + fmt(p.at("bits")) + " must be 1, 2 or 4");
    const json& exits = p.at("exits");
    if (!exits.is_array()) return models::make_preset(spec + ",exits=" + fmt(exits), arch);
    // Positions: the preset's split, with these exits (the plan checks they are block ends
    // within the edge).
    json plan = models::make_preset(spec, arch).to_json();
    plan["edge_cloud"]["exits"] = exits;
    return models::HybridPlan::from_json(plan, f + " exits " + exits.dump());
  }
  throw std::logic_error("family_plan(): " + f + " is not a plain family");
}

json family_exit_training(const std::string& f, const json& p) {
  if (f != "edge_cloud") return json();
  const std::string mode = p.at("mode").get<std::string>();
  if (mode != "joint" && mode != "separate")
    throw ConfigError(f + ": mode = \"" + mode + "\" must be \"joint\" or \"separate\"");
  check_range(f, "lambda", number(p, "lambda"), 0, 1, true);
  if (number(p, "lambda") == 1) throw ConfigError(f + ": lambda = 1 leaves the final classifier no weight");
  const json& e = p.at("exits");
  const double exits = e.is_array() ? double(e.size()) : number(p, "exits");
  if (exits < 1 || exits != std::floor(exits))
    throw ConfigError(f + ": exits = " + e.dump() + " must be a whole number >= 1 or a non-empty "
                      "list of positions");
  models::ExitTraining t;
  t.mode = mode;
  if (mode == "joint") t.lambdas.assign(static_cast<size_t>(exits), number(p, "lambda") / exits);
  models::exit_loss_weights(t, static_cast<int>(exits));
  return t;
}

std::vector<double> family_thresholds(const std::string& f, const json& p) {
  if (f != "edge_cloud") return {};
  const json& v = p.at("thresholds");
  const std::string what = f + ": thresholds";
  if (v.is_string()) return models::threshold_grid(v.get<std::string>(), what);
  if (!v.is_array() || v.empty())
    throw ConfigError(what + ": expected \"FROM:TO:STEP\", \"T1,T2\" or a non-empty array of numbers");
  std::vector<double> out;
  for (const auto& x : v) {
    if (!x.is_number() || !(x.get<double>() >= 0))
      throw ConfigError(what + ": " + x.dump() + " is not an entropy >= 0");
    out.push_back(x.get<double>());
  }
  return out;
}

void check_analysis_params(const std::string& f, const json& p) {
  if (f == "pca") {
    check_range(f, "T", number(p, "T"), 0, 1, true);
    check_range(f, "delta", number(p, "delta"), 0, 1e9, false);
    check_range(f, "kb", number(p, "kb"), 2, 8, false);
  } else if (f == "partition") {
    check_range(f, "R", number(p, "R"), 0, 1, true);
    if (!(p.at("gamma").is_string() && p.at("gamma") == "auto"))
      check_range(f, "gamma", number(p, "gamma"), 0, 1e300, false);
  } else if (f == "combined") {
    check_range(f, "R", number(p, "R"), 0, 1, true);
    const double kb = number(p, "kb");
    if (kb != 32) check_range(f, "kb", kb, 2, 8, false);
  }
}

analysis::Selection family_selection(const std::string& f, const json& p,
                                     const analysis::Profile& profile, uint64_t seed) {
  check_analysis_params(f, p);
  if (f == "pca")
    return analysis::select_pca(analysis::retune(profile, number(p, "T"), profile.gamma),
                                number(p, "delta"), p.at("kb").get<int>());
  if (f == "partition") {
    const json& g = p.at("gamma");
    const double gamma = g.is_string() ? -1.0 : g.get<double>();
    return analysis::select_partition(analysis::retune(profile, profile.threshold, gamma),
                                      number(p, "R"), seed);
  }
  if (f == "combined")
    return analysis::select_combined(profile, number(p, "R"), p.at("kb").get<int>(), seed);
  throw std::logic_error("family_selection(): " + f + " is not an analysis family");
}

}  // namespace hybridnet::search
