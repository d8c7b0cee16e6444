#include "search/candidates.h"

#include <map>

#include "models/cost_model.h"
#include "models/energy_table.h"
#include "search/family_registry.h"

namespace hybridnet::search {

using nlohmann::json;

std::string Candidate::key() const {
  return models::text_hash(models::run_identity(plan, config.data, config.train,
                                                config.exit_training.value_or(
                                                    models::ExitTraining{}),
                                                config.init_key)
                               .dump());
}

namespace {

Candidate make(const SearchSpace& s, const std::string& family, const json& params,
               const json& train_override, models::HybridPlan plan, uint64_t seed) {
  Candidate c;
  c.family = family;
  c.params = params;
  c.plan = std::move(plan);
  json t = s.train;
  t.update(train_override);
  c.config.train = t.get<models::TrainConfig>();
  c.config.train.seed = seed;
  c.config.data = s.data;
  c.config.exit_training = family_named(family).exit_training(params);
  c.config.energy_table = s.energy_table;
  return c;
}

}  // namespace

Candidate baseline_candidate(const SearchSpace& s, const std::string& arch, double width,
                             uint64_t seed) {
  Candidate c = make(s, "xnor", json::object(), json::object(),
                     family_named("xnor").plan(json::object(), arch, width), seed);
  c.priority = kBaselinePriority;
  return c;
}

std::vector<Candidate> plain_candidates(const SearchSpace& s) {
  std::vector<Candidate> out;
  for (uint64_t seed : s.seeds)
    for (const auto& arch : s.archs)
      for (double width : s.widths) {
        if (s.needs_profile()) out.push_back(baseline_candidate(s, arch, width, seed));
        for (const auto& g : s.families) {
          const Family& family = family_named(g.family);
          if (family.needs_profile()) continue;
          for (const auto& setting : g.settings())
            out.push_back(make(s, g.family, setting, g.train_override,
                               family.plan(setting, arch, width), seed));
        }
      }
  return out;
}

Candidate bred_candidate(const SearchSpace& s, const Candidate& baseline,
                         const analysis::Profile& profile, const FamilyGrid& g,
                         const nlohmann::json& setting, std::vector<std::string>* skipped) {
  auto sel = family_named(g.family).select(setting, profile, baseline.config.train.seed);
  if (!sel.found) {
    if (skipped) skipped->push_back(g.family + " " + setting.dump() + ": " + sel.message);
    return {};
  }
  Candidate c = make(s, g.family, setting, g.train_override, std::move(sel.plan),
                     baseline.config.train.seed);
  if (s.init == "baseline") c.config.init_key = baseline.key();
  return c;
}

std::vector<Candidate> analysis_candidates(const SearchSpace& s, const Candidate& baseline,
                                           const analysis::Profile& profile,
                                           std::vector<std::string>* skipped) {
  std::vector<Candidate> out;
  for (const auto& g : s.families) {
    const Family& family = family_named(g.family);
    if (!family.needs_profile()) continue;
    for (const auto& grid_setting : g.settings())
      // Generation 0 of a breeding family (per-layer); every other family's setting itself.
      for (const auto& setting :
           family.breed(grid_setting, profile, baseline.config.train.seed, 0, {}, {})) {
        out.push_back(bred_candidate(s, baseline, profile, g, setting, skipped));
        if (out.back().family.empty()) out.pop_back();
      }
  }
  return out;
}

db::NewTrial to_new_trial(const Candidate& c) {
  db::NewTrial t;
  t.key = c.key();
  t.family = c.family;
  t.params = c.params;
  t.plan = c.plan.to_json();
  t.plan_hash = c.plan.hash();
  t.config = c.config;
  t.priority = c.priority;
  const auto shape = models::data_shape(c.config.data);
  const auto cost =
      models::plan_cost(c.plan, shape.channels, shape.height, shape.width, shape.num_classes,
                        models::load_energy_table(c.config.energy_table));
  t.objectives = {{"energy_pj", cost.total.energy_pj}, {"memory_bits", cost.total.memory_bits},
                  {"flops", cost.total.flops},         {"ee_fp", cost.ee_fp},
                  {"mc_fp", cost.mc_fp},               {"ee_xnor", cost.ee_xnor},
                  {"mc_xnor", cost.mc_xnor}};
  const auto arch = c.plan.describe();
  for (size_t i = 0; i < c.plan.layers.size(); ++i) {
    const auto& l = c.plan.layers[i];
    t.layers.push_back({static_cast<int>(i), l.name, models::to_string(arch.layers[i].role),
                        l.precision.weight_bits, l.precision.input_bits,
                        l.precision.fp_fraction});
  }
  return t;
}

Distinct deduplicate(const std::vector<Candidate>& candidates) {
  Distinct d;
  std::map<std::string, size_t> index;
  for (const auto& c : candidates) {
    auto [it, is_new] = index.emplace(c.key(), d.candidates.size());
    if (is_new) {
      d.candidates.push_back(c);
      d.settings.emplace_back();
    } else {
      d.candidates[it->second].priority = std::max(d.candidates[it->second].priority, c.priority);
    }
    auto& list = d.settings[it->second];
    const db::Setting s{c.family, c.params};
    bool seen = false;
    for (const auto& x : list) seen = seen || (x.family == s.family && x.params == s.params);
    if (!seen) list.push_back(s);
  }
  return d;
}

}  // namespace hybridnet::search
