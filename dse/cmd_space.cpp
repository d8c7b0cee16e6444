// `hybridnet space`: the candidates a sweep of a space would train, with predicted energy and
// memory, without training anything.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "dse/subcommands.h"
#include "search/candidates.h"
#include "search/family_registry.h"
#include "search/progress.h"

namespace hybridnet::dse {

struct SpaceOptions {
  std::string space;
  bool json = false;
};

void run_space(const SpaceOptions& o) {
  const auto space = search::load_space(o.space);
  const auto distinct = search::deduplicate(search::plain_candidates(space));
  nlohmann::json out = {{"study", space.study}, {"candidates", nlohmann::json::array()},
                        {"analysis", nlohmann::json::array()}};
  for (size_t i = 0; i < distinct.candidates.size(); ++i) {
    const auto t = search::to_new_trial(distinct.candidates[i]);
    nlohmann::json settings = nlohmann::json::array();
    for (const auto& s : distinct.settings[i])
      settings.push_back({{"family", s.family}, {"params", s.params}});
    out["candidates"].push_back({{"family", t.family},
                                 {"params", t.params},
                                 {"settings", settings},
                                 {"arch", distinct.candidates[i].plan.arch},
                                 {"width", distinct.candidates[i].plan.width},
                                 {"seed", distinct.candidates[i].config.train.seed},
                                 {"plan_hash", t.plan_hash},
                                 {"baseline", t.priority == search::kBaselinePriority},
                                 {"energy_pj", t.objectives.at("energy_pj")},
                                 {"memory_bits", t.objectives.at("memory_bits")},
                                 {"ee_fp", t.objectives.at("ee_fp")},
                                 {"mc_fp", t.objectives.at("mc_fp")}});
  }
  int analysis_settings = 0, bred = 0;
  for (const auto& g : space.families) {
    const auto& family = search::family_named(g.family);
    if (family.needs_profile())
      for (const auto& s : g.settings()) {
        out["analysis"].push_back({{"family", g.family}, {"params", s}});
        ++analysis_settings;
        // A breeding family (per-layer): up to population x generations candidates.
        if (family.generations(s) > 1) bred += s.value("population", 0) * family.generations(s);
      }
  }
  if (o.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("study %s: %zu distinct candidate(s) before analysis\n", space.study.c_str(),
              distinct.candidates.size());
  std::printf("%-4s %-30s %-10s %5s %10s %12s %8s %8s\n", "#", "setting", "arch", "seed",
              "energy uJ", "memory KiB", "EE(FP)", "MC(FP)");
  int n = 0;
  for (const auto& c : out["candidates"]) {
    std::string label = search::setting_label(c["family"], c["params"]);
    if (c["baseline"]) label += " (baseline)";
    if (c["settings"].size() > 1)
      label += " +" + std::to_string(c["settings"].size() - 1) + " same";
    std::printf("%-4d %-30s %-10s %5llu %10.2f %12.1f %8.2f %8.2f\n", ++n,
                label.substr(0, 30).c_str(), c["arch"].get<std::string>().c_str(),
                (unsigned long long)c["seed"].get<uint64_t>(), c["energy_pj"].get<double>() / 1e6,
                c["memory_bits"].get<double>() / 8192, c["ee_fp"].get<double>(),
                c["mc_fp"].get<double>());
  }
  if (analysis_settings)
    std::printf("+ %d analysis setting(s) (pca, partition, combined, per-layer) per baseline: "
                "their plans come from the trained XNOR baseline's profile; duplicates train "
                "once\n",
                analysis_settings);
  if (bred)
    std::printf("  of which per-layer breeds up to %d candidate(s) per baseline over its "
                "generations\n",
                bred);
}

void setup_space(CLI::App& app) {
  auto opt = std::make_shared<SpaceOptions>();
  auto* sub = app.add_subcommand(
      "space", "Validate a search space and list its candidates with predicted energy and memory");
  sub->add_option("--space", opt->space, "Search space JSON file")->required();
  sub->add_flag("--json", opt->json, "Print {\"candidates\": [...], \"analysis\": [...]}");
  // The families a space may use, with their parameters and defaults (from the one table the
  // parser validates against).
  std::string footer = "Families (parameter = default; a list of values is a grid to try, but thresholds is one list):\n";
  for (const search::Family* f : search::families()) {
    std::string params;
    for (const auto& p : f->params())
      params += (params.empty() ? "" : ", ") + p.name + " = " + p.default_value.dump();
    footer += "  " + f->name() + (params.empty() ? "" : " (" + params + ")") + ": " +
              f->summary() + "\n";
  }
  sub->footer(footer + "See the README's Sweeps section for each parameter.");
  sub->callback([opt] { run_space(*opt); });
}

}  // namespace hybridnet::dse
