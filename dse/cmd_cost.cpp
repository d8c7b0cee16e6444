// `hybridnet cost`: the papers' energy / memory / FLOPs model for a plan, per layer and total.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dse/cli_common.h"
#include "dse/subcommands.h"
#include "models/cost_model.h"
#include "models/energy_table.h"
#include "models/presets.h"

namespace hybridnet::dse {

struct CostOptions {
  std::string model;  // empty: resnet20 for presets, the file's own arch for plan files
  std::string plan = "xnor";
  std::string energy_table = models::kDefaultEnergyTable;
  std::string input = "32x32x3";
  int classes = 10;
  bool shortcut_shares_io = false;
  bool json = false;
};

void run_cost(const CostOptions& o) {
  const auto plan = models::resolve_plan_argument(o.plan, o.model);
  const InputShape in = parse_input_shape(o.input);
  const auto table = models::load_energy_table(o.energy_table);
  models::CostOptions options;
  options.shortcut_shares_io = o.shortcut_shares_io;
  const auto r =
      models::plan_cost(plan, in.channels, in.height, in.width, o.classes, table, options);
  if (o.json) {
    auto j = models::cost_to_json(r);
    j["model"] = plan.arch;
    j["plan_hash"] = plan.hash();
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("%s  plan %s  energy table %s  input %dx%dx%d  classes %d\n", plan.arch.c_str(),
              plan.hash().c_str(), table.name.c_str(), in.height, in.width, in.channels, o.classes);
  std::printf("%4s  %-20s %-12s %9s %9s %9s %12s %12s\n", "idx", "name", "precision", "params",
              "MACs", "FLOPs", "energy_uJ", "memory_kbit");
  for (const auto& l : r.layers)
    std::printf("%4d  %-20s %-12s %9s %9s %9s %12.3f %12.2f\n", l.index, l.name.c_str(),
                l.precision.c_str(), human(l.params).c_str(), human(l.macs).c_str(),
                human(l.flops).c_str(), l.energy_pj / 1e6, l.memory_bits / 1e3);
  std::printf("total: energy %.3f uJ, memory %.2f kbit (%.1f KiB), %s MACs, %s FLOPs\n",
              r.total.energy_pj / 1e6, r.total.memory_bits / 1e3, r.total.memory_bits / 8192.0,
              human(r.total.macs).c_str(), human(r.total.flops).c_str());
  std::printf("E.E(FP) %.2f  M.C(FP) %.2f  E.E(XNOR) %.2f  M.C(XNOR) %.2f\n", r.ee_fp, r.mc_fp,
              r.ee_xnor, r.mc_xnor);
}

void setup_cost(CLI::App& app) {
  auto opt = std::make_shared<CostOptions>();
  auto* sub = app.add_subcommand(
      "cost", "Energy, memory and FLOPs of a plan (papers' cost model), per layer and total");
  sub->add_option("--model", opt->model, model_help());
  sub->add_option("--plan", opt->plan, "Preset spec or plan JSON file")->capture_default_str();
  sub->add_option("--energy-table", opt->energy_table,
                  "Built-in table (" + join(models::builtin_energy_tables()) + ") or a JSON file")
      ->capture_default_str();
  sub->add_option("--input", opt->input, "Input shape HxWxC")->capture_default_str();
  sub->add_option("--classes", opt->classes, "Number of classes")->capture_default_str();
  sub->add_flag("--shortcut-shares-io", opt->shortcut_shares_io,
                "Charge 1x1 shortcut convs no input reads / output writes (reproduces the "
                "paper's Hybrid-Res A energy; off = Table 1 literally)");
  sub->add_flag("--json", opt->json,
                "Print {\"layers\": [...], \"total\": {energy_pj, memory_bits, macs, flops, "
                "ee_fp, mc_fp, ee_xnor, mc_xnor}}");
  sub->footer(
      "E.E / M.C are the papers' ratios: the width-1 FP (or XNOR) network's energy or memory "
      "divided by this network's.\n" +
      preset_help());
  sub->callback([opt] { run_cost(*opt); });
}

}  // namespace hybridnet::dse
