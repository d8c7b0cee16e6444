// Edge-cloud networks (edge-cloud paper): the first M body convs bits-bit on the edge, the rest
// FP in the cloud, early exits on the edge. One trained network is scored at every exit
// threshold, each a point of the front.
#include <cmath>
#include <memory>
#include <sstream>

#include "models/early_exit.h"
#include "models/error.h"
#include "models/presets.h"
#include "models/run_spec.h"
#include "search/family.h"

namespace hybridnet::search {

using nlohmann::json;

namespace {

class EdgeCloudFamily : public Family {
 public:
  EdgeCloudFamily()
      : Family({"edge-cloud",
                "edge-cloud: bits-bit edge, FP cloud, early exits; one front point per threshold",
                {{"M", "auto",
                  "edge body layers, a block end (\"auto\": the first at or past half)"},
                 {"bits", 1, "weight and input bits of the edge's body layers (1, 2, 4)"},
                 {"exits", 1,
                  "early exits: a count spread over the edge (1: at its end; 2: its middle and "
                  "end), or positions in body layers, e.g. [[6, 10]]",
                  false, true},
                 {"lambda", 0.6,
                  "joint training: loss weight shared by the early exits, in (0, 1)"},
                 {"mode", "joint", "exit training: joint or separate (frozen backbone)"},
                 {"thresholds", "0.1:2.0:0.1",
                  "entropy thresholds scored: FROM:TO:STEP, \"T1,T2\" or [T1, T2] (not a grid)",
                  true}},
                /*needs_profile=*/false,
                {"edge_cloud"}}) {}

  models::HybridPlan plan(const json& s, const std::string& arch, double width) const override {
    models::PresetParams p{{"width", width}};
    const json& m = s.at("M");
    if (m.is_string() && m != "auto")
      throw ConfigError(name() + ": M = " + m.dump() + " must be a layer count or \"auto\"");
    if (!m.is_string()) p["M"] = m.get<double>();
    const double bits = number_param(s, "bits");
    if (bits != 1 && bits != 2 && bits != 4)
      throw ConfigError(name() + ": bits = " + s.at("bits").dump() + " must be 1, 2 or 4");
    p["bits"] = bits;
    const json& exits = s.at("exits");
    if (!exits.is_array()) {
      p["exits"] = exits.get<double>();
      return models::make_preset("edge-cloud", p, arch);
    }
    // Positions: the preset's split, with these exits (the plan checks they are block ends
    // within the edge).
    json plan = models::make_preset("edge-cloud", p, arch).to_json();
    plan["edge_cloud"]["exits"] = exits;
    return models::HybridPlan::from_json(plan, name() + " exits " + exits.dump());
  }

  std::optional<models::ExitTraining> exit_training(const json& s) const override {
    const auto mode =
        models::enum_from_string<models::ExitMode>(s.at("mode").get<std::string>(), name() + ": mode");
    const double lambda = number_param(s, "lambda");
    check_param_range(name(), "lambda", lambda, 0, 1, true);
    if (lambda == 1)
      throw ConfigError(name() + ": lambda = 1 leaves the final classifier no weight");
    const json& e = s.at("exits");
    const double exits = e.is_array() ? double(e.size()) : number_param(s, "exits");
    if (exits < 1 || exits != std::floor(exits))
      throw ConfigError(name() + ": exits = " + e.dump() +
                        " must be a whole number >= 1 or a non-empty list of positions");
    models::ExitTraining t;
    t.mode = mode;
    if (mode == models::ExitMode::kJoint) t.lambdas.assign(static_cast<size_t>(exits), lambda / exits);
    models::exit_loss_weights(t, static_cast<int>(exits));
    return t;
  }

  std::vector<double> thresholds(const json& s) const override {
    const json& v = s.at("thresholds");
    const std::string what = name() + ": thresholds";
    if (v.is_string()) return models::threshold_grid(v.get<std::string>(), what);
    if (!v.is_array() || v.empty())
      throw ConfigError(what +
                        ": expected \"FROM:TO:STEP\", \"T1,T2\" or a non-empty array of numbers");
    std::vector<double> out;
    for (const auto& x : v) {
      if (!x.is_number() || !(x.get<double>() >= 0))
        throw ConfigError(what + ": " + x.dump() + " is not an entropy >= 0");
      out.push_back(x.get<double>());
    }
    return out;
  }

  void check(const json& s) const override {
    exit_training(s);
    thresholds(s);
  }
};

}  // namespace

std::unique_ptr<Family> make_edge_cloud_family() { return std::make_unique<EdgeCloudFamily>(); }

}  // namespace hybridnet::search
