// Per-layer bit assignments evolved around the analysis profile (search/per_layer_evolution.h):
// beyond the papers' selectors, which upgrade the layers one rule picks, every eligible layer
// takes its own precision, and generations bred from the measured results look for a front
// that dominates the selectors'. A space's setting {"bits", "population", "generations"} breeds
// concrete settings that add "generation" and "genome" (bits per eligible layer, profile order).
#include <memory>

#include "models/error.h"
#include "search/family.h"
#include "search/per_layer_evolution.h"

namespace hybridnet::search {

using nlohmann::json;

namespace {

EvolutionSettings evolution_settings(const json& s) {
  EvolutionSettings e;
  e.bits = s.at("bits").get<std::vector<int>>();
  e.population = s.at("population").get<int>();
  return e;
}

class PerLayerFamily : public Family {
 public:
  PerLayerFamily()
      : Family({"per-layer",
                "per-layer bit assignments drawn around the profile, evolved (NSGA-II)",
                {{"bits", json::array({2, 4}), "precisions an upgraded layer may take (32: FP)",
                  /*list=*/true},
                 {"population", 12, "candidates per generation"},
                 {"generations", 3, "generations: the first drawn, the others bred"}},
                /*needs_profile=*/true}) {}

  void check(const json& s) const override {
    const json& bits = s.at("bits");
    if (!bits.is_array() || bits.empty())
      throw ConfigError("per-layer: bits must be a non-empty list like [2, 4]");
    for (const auto& b : bits)
      if (!b.is_number_integer() || (b != 32 && (b < 2 || b > 8)))
        throw ConfigError("per-layer: bits = " + b.dump() + " must be 2..8 or 32 (FP)");
    check_param_range(name(), "population", number_param(s, "population"), 2, 1000, false);
    check_param_range(name(), "generations", number_param(s, "generations"), 1, 100, false);
  }

  int generations(const json& s) const override { return s.at("generations").get<int>(); }

  std::vector<json> breed(const json& s, const analysis::Profile& profile, uint64_t seed,
                          int generation,
                          const std::vector<std::pair<json, std::vector<double>>>& evaluated,
                          const std::vector<Objective>& objectives) const override {
    check(s);
    std::vector<Genome> genomes;
    if (generation == 0) {
      genomes = initial_population(profile, evolution_settings(s), seed);
    } else {
      std::vector<Scored> scored;
      for (const auto& [setting, values] : evaluated)
        scored.push_back({setting.at("genome").get<Genome>(), values});
      genomes =
          next_generation(scored, objectives, profile, evolution_settings(s), seed, generation);
    }
    std::vector<json> out;
    for (const auto& g : genomes) {
      json concrete = s;
      concrete["generation"] = generation;
      concrete["genome"] = g;
      out.push_back(std::move(concrete));
    }
    return out;
  }

  analysis::Selection select(const json& s, const analysis::Profile& profile,
                             uint64_t) const override {
    if (!s.contains("genome"))
      throw ConfigError("per-layer: a setting without a genome selects nothing (breed first)");
    analysis::Selection sel;
    sel.selector = "per-layer";
    sel.params = s;
    sel.plan = genome_plan(profile, s.at("genome").get<Genome>());
    sel.message = "generation " + s.at("generation").dump();
    return sel;
  }
};

}  // namespace

std::unique_ptr<Family> make_per_layer_family() { return std::make_unique<PerLayerFamily>(); }

}  // namespace hybridnet::search
