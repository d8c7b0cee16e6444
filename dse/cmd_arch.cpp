// `hybridnet arch`: every weight layer of a model under a plan.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dse/cli_common.h"
#include "dse/subcommands.h"
#include "models/architecture.h"
#include "models/presets.h"

namespace hybridnet::dse {

struct ArchOptions {
  std::string model;  // empty: resnet20 for presets, the file's own arch for plan files
  std::string plan = "xnor";
  std::string input = "32x32x3";
  int classes = 10;
  bool json = false;
};

void run_arch(const ArchOptions& o) {
  const auto plan = models::resolve_plan_argument(o.plan, o.model);
  const InputShape in = parse_input_shape(o.input);
  const auto arch =
      models::describe_architecture(plan.arch_config(in.channels, in.height, in.width, o.classes));
  if (o.json) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : arch.layers) {
      const auto& p = plan.precision(l.name);
      layers.push_back({{"index", l.index},
                        {"name", l.name},
                        {"kind", models::to_string(l.kind)},
                        {"role", models::to_string(l.role)},
                        {"in_channels", l.in_channels},
                        {"out_channels", l.out_channels},
                        {"kernel", l.kernel},
                        {"stride", l.stride},
                        {"input", {l.in_h, l.in_w}},
                        {"output", {l.out_h, l.out_w}},
                        {"params", l.params()},
                        {"macs", l.macs()},
                        {"weight_bits", p.weight_bits},
                        {"input_bits", p.input_bits},
                        {"fp_fraction", p.fp_fraction}});
    }
    std::cout << nlohmann::json{{"model", plan.arch},
                                {"plan_hash", plan.hash()},
                                {"layers", layers}}
                     .dump(2)
              << "\n";
    return;
  }
  std::printf("%s  width %.2f  shortcut %s/every %d  input %dx%dx%d  classes %d  plan %s\n",
              plan.arch.c_str(), plan.width, models::to_string(plan.shortcut.type),
              plan.shortcut.every, in.height, in.width, in.channels, o.classes,
              plan.hash().c_str());
  std::printf("%4s  %-20s %-6s %-10s %5s %5s %3s %3s %9s %9s %9s %9s  %s\n", "idx", "name", "kind",
              "role", "in", "out", "k", "s", "input", "output", "params", "MACs", "precision");
  int64_t params = 0, macs = 0;
  for (const auto& l : arch.layers) {
    const std::string input = std::to_string(l.in_h) + "x" + std::to_string(l.in_w);
    const std::string output = std::to_string(l.out_h) + "x" + std::to_string(l.out_w);
    std::printf("%4d  %-20s %-6s %-10s %5d %5d %3d %3d %9s %9s %9s %9s  %s\n", l.index,
                l.name.c_str(), models::to_string(l.kind), models::to_string(l.role), l.in_channels,
                l.out_channels, l.kernel, l.stride, input.c_str(), output.c_str(),
                human(l.params()).c_str(), human(l.macs()).c_str(),
                plan.precision(l.name).label().c_str());
    params += l.params();
    macs += l.macs();
  }
  std::printf("total: %zu weight layers, %s parameters, %s MACs\n", arch.layers.size(),
              human(params).c_str(), human(macs).c_str());
}

void setup_arch(CLI::App& app) {
  auto opt = std::make_shared<ArchOptions>();
  auto* sub = app.add_subcommand("arch", "List every weight layer of a model under a plan");
  sub->add_option("--model", opt->model, model_help());
  sub->add_option("--plan", opt->plan, "Preset spec or plan JSON file")->capture_default_str();
  sub->add_option("--input", opt->input, "Input shape HxWxC")->capture_default_str();
  sub->add_option("--classes", opt->classes, "Number of classes")->capture_default_str();
  sub->add_flag("--json", opt->json, "Print JSON instead of a table");
  sub->footer(preset_help());
  sub->callback([opt] { run_arch(*opt); });
}

}  // namespace hybridnet::dse
