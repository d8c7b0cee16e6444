// `hybridnet exits`: Algorithm 1 of the edge-cloud paper over a grid of entropy thresholds for a
// trained network with early exits: per threshold, the share of samples leaving at each exit,
// accuracy, and edge / cloud / mean energy per inference. The network runs once; every
// threshold is scored from the cached exit logits.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dse/cli_common.h"
#include "dse/run_data.h"
#include "dse/subcommands.h"
#include "models/cost_model.h"
#include "models/error.h"
#include "models/exit_cost.h"
#include "models/exit_logits.h"

namespace hybridnet::dse {

struct ExitsOptions {
  std::string checkpoint;
  std::string dataset;
  std::string data_dir;
  std::string thresholds = "0.1:2.0:0.1";
  std::string energy_table = "cdl";
  double transfer_pj_per_bit = 0;
  int threads = 0;
  bool json = false;
};

void run_exits(const ExitsOptions& o) {
  const auto grid = models::threshold_grid(o.thresholds, "--thresholds");
  const auto table = models::load_energy_table(o.energy_table);
  auto run = models::load_run(o.checkpoint);
  const auto& plan = run.spec.plan;
  const int early = static_cast<int>(plan.exits.size());
  if (early == 0)
    throw ConfigError(o.checkpoint + ": the network has no early exit (train an edge-cloud plan, "
                      "e.g. --plan edge-cloud:M=10,bits=1)");
  const auto splits = load_run_data(run, o.dataset, o.data_dir, o.checkpoint);
  models::set_intra_op_threads(o.threads);
  const auto scores = models::score_exits(run, splits.test, table, grid, o.transfer_pj_per_bit);
  const auto& cost = scores.cost;
  const auto& costs = scores.costs;
  const double fp_pj = cost.ee_fp * cost.total.energy_pj;  // the FP network without exits

  nlohmann::json points = nlohmann::json::array();
  std::vector<std::string> rows;
  for (const auto& [p, e] : scores.points) {
    const double t = p.thresholds.front();
    points.push_back({{"thresholds", p.thresholds},
                      {"exit_share", p.exit_share},
                      {"cloud_share", p.cloud_share},
                      {"exit_accuracy", p.exit_accuracy},
                      {"accuracy", p.accuracy},
                      {"edge_energy_pj", e.edge_pj},
                      {"cloud_energy_pj", e.cloud_pj},
                      {"transfer_energy_pj", e.transfer_pj},
                      {"mean_energy_pj", e.mean_pj()},
                      {"ee_fp", fp_pj / e.mean_pj()}});
    char buf[64];
    std::string row;
    std::snprintf(buf, sizeof buf, "%9.3f", t);
    row += buf;
    for (int k = 0; k < early; ++k) {
      std::snprintf(buf, sizeof buf, "  %6.1f%% %6.4f", 100 * p.exit_share[k], p.exit_accuracy[k]);
      row += buf;
    }
    std::snprintf(buf, sizeof buf, "  %6.4f  %8.4f  %8.2f  %8.2f  %8.2f  %5.2f",
                  p.exit_accuracy.back(), p.accuracy, e.edge_pj / 1e6, e.cloud_pj / 1e6,
                  e.mean_pj() / 1e6, fp_pj / e.mean_pj());
    rows.push_back(row + buf);
  }
  if (o.json) {
    std::cout << nlohmann::json{{"checkpoint", o.checkpoint},
                                {"dataset", splits.name},
                                {"test_samples", splits.test.size()},
                                {"energy_table", table.name},
                                {"edge_layers", plan.edge_layers},
                                {"exits", plan.exits},
                                {"fp_energy_pj", fp_pj},
                                {"network_energy_pj", cost.total.energy_pj},
                                {"exit_energy_pj", costs.to_exit_pj},
                                {"edge_energy_pj", costs.edge_pj},
                                {"cloud_energy_pj", costs.cloud_pj},
                                {"transfer_pj_per_bit", o.transfer_pj_per_bit},
                                {"points", points}}
                     .dump(2)
              << "\n";
    return;
  }
  std::string where;
  for (int x : plan.exits) where += (where.empty() ? "" : ", ") + std::to_string(x);
  std::printf("%s: %s, edge %d body layer(s), early exit(s) after %s; %lld test images of %s; "
              "energy table %s\n",
              o.checkpoint.c_str(), plan.arch.c_str(), plan.edge_layers, where.c_str(),
              (long long)splits.test.size(), splits.name.c_str(), table.name.c_str());
  std::printf("FP network %.2f uJ; this network with no exit taken %.2f uJ (edge %.2f, cloud "
              "%.2f)\n",
              fp_pj / 1e6, cost.total.energy_pj / 1e6, costs.edge_pj / 1e6,
              costs.cloud_pj / 1e6);
  std::string head = "threshold";
  for (int k = 1; k <= early; ++k) head += "  exit" + std::to_string(k) + " share/acc";
  head += "  cloud acc  accuracy   edge uJ  cloud uJ   mean uJ  xFP";
  std::printf("%s\n", head.c_str());
  for (const auto& r : rows) std::printf("%s\n", r.c_str());
}

void setup_exits(CLI::App& app) {
  auto opt = std::make_shared<ExitsOptions>();
  auto* sub = app.add_subcommand(
      "exits",
      "Exit shares, accuracy and edge/cloud energy of a network with early exits over a grid of "
      "entropy thresholds (one pass over the data)");
  sub->add_option("--checkpoint", opt->checkpoint, "Run directory of a network with early exits")
      ->required();
  sub->add_option("--dataset", opt->dataset,
                  "Dataset (default: the run's own, with its test subset)");
  sub->add_option("--data", opt->data_dir, "Directory of the dataset files");
  sub->add_option("--thresholds", opt->thresholds,
                  "Entropy thresholds FROM:TO:STEP (TO included) or T1,T2,...; every early exit "
                  "takes the same threshold")
      ->capture_default_str();
  sub->add_option("--energy-table", opt->energy_table,
                  "Built-in table (" + join(models::builtin_energy_tables()) + ") or a JSON file")
      ->capture_default_str();
  sub->add_option("--transfer-pj-per-bit", opt->transfer_pj_per_bit,
                  "Communication energy per bit of the 32-bit feature map sent to the cloud "
                  "(0: left out, as in the paper)")
      ->capture_default_str();
  sub->add_option("--threads", opt->threads, "Intra-op threads (0 = all cores)");
  sub->add_flag("--json", opt->json,
                "Print {\"points\": [{\"thresholds\", \"exit_share\", \"accuracy\", "
                "\"edge_energy_pj\", \"cloud_energy_pj\", \"mean_energy_pj\", ...}]}");
  sub->callback([opt] { run_exits(*opt); });
}

}  // namespace hybridnet::dse
