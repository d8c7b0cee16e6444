// `hybridnet show`: one trial in full: settings, per-layer precision and cost, learning curve.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "dse/study_cli.h"
#include "dse/subcommands.h"
#include "models/cost_model.h"
#include "models/data_options.h"
#include "models/energy_table.h"
#include "models/run_spec.h"
#include "search/progress.h"
#include "search/results.h"
#include "search/trial_config.h"

namespace hybridnet::dse {

struct ShowOptions {
  std::string db;
  int64_t trial = 0;
  bool json = false;
};

void run_show(const ShowOptions& o) {
  auto store = open_store(o.db, /*read_only=*/true);
  const auto t = require_trial(*store, o.trial, o.db);
  const std::string where = o.db + ": trial " + std::to_string(t.id);
  const auto plan = models::HybridPlan::from_json(t.plan, where);
  const search::TrialConfig config = search::trial_config(t);
  const auto& data = config.data;
  const auto shape = models::data_shape(data);
  const auto cost =
      models::plan_cost(plan, shape.channels, shape.height, shape.width, shape.num_classes,
                        models::load_energy_table(config.energy_table));
  const auto epochs = store->epochs(t.id);
  std::vector<db::RungRow> rungs;  // successive halving: where it stopped, and how it did
  for (const auto& r : store->rungs(t.study_id))
    if (r.trial_id == t.id) rungs.push_back(r);
  if (o.json) {
    nlohmann::json curve = nlohmann::json::array();
    for (const auto& e : epochs)
      curve.push_back({{"epoch", e.epoch},
                       {"lr", e.lr},
                       {"train_loss", e.train_loss},
                       {"train_accuracy", e.train_accuracy},
                       {"val_accuracy", e.val_accuracy},
                       {"test_accuracy", e.test_accuracy},
                       {"seconds", e.seconds}});
    nlohmann::json out = search::trial_summary(t);
    out["plan"] = t.plan;
    out["config"] = t.config;
    out["cost"] = models::cost_to_json(cost);
    out["learning_curve"] = curve;
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : t.points) points.push_back(search::point_json(p));
    out["points"] = points;
    out["attempts"] = t.attempts;
    nlohmann::json rung_rows = nlohmann::json::array();
    for (const auto& r : rungs)
      rung_rows.push_back({{"rung", r.rung},
                           {"epochs", r.epochs},
                           {"accuracy", r.accuracy},
                           {"promoted", r.promoted}});
    out["rungs"] = rung_rows;
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("trial %lld: %s, %s, plan %s, state %s%s\n", (long long)t.id,
              search::setting_label(t.family, t.params).c_str(), plan.arch.c_str(),
              t.plan_hash.c_str(), search::state_label(t).c_str(),
              t.failure.empty() ? "" : (" (" + t.failure + ")").c_str());
  for (const auto& r : rungs)
    std::printf("  rung %d: validation accuracy %.4f after %d epoch(s)%s\n", r.rung, r.accuracy,
                r.epochs, r.promoted ? ", promoted" : "");
  if (t.objectives.count("val_accuracy") && t.objectives.count("test_accuracy"))
    std::printf("  accuracy %.4f on validation (what the search chose on), %.4f on test\n",
                t.objectives.at("val_accuracy"), t.objectives.at("test_accuracy"));
  for (size_t i = 1; i < t.settings.size(); ++i)
    std::printf("  also the network of %s\n",
                search::setting_label(t.settings[i].family, t.settings[i].params).c_str());
  const auto& train = config.train;
  std::printf("training: %d epochs, %s lr %g, batch %d, seed %llu; data %s (subset %lld)\n",
              train.epochs, to_string(train.optimizer).c_str(), train.lr, train.batch_size,
              (unsigned long long)train.seed, data.name.c_str(), (long long)data.subset);
  std::printf(
      "quantizers: k-bit input gradient %s, gain %g, k-bit weight grid %s, alpha %s; "
      "batch-norm statistics %s\n",
      models::to_string(train.kbit_input_grad).c_str(), train.kbit_input_gain,
      models::to_string(train.kbit_weight_scale).c_str(),
      train.alpha_grad ? "differentiated" : "constant",
      train.bn_recalibration > 0
          ? ("recalibrated on " + std::to_string(train.bn_recalibration) + " batches").c_str()
          : "running averages");
  if (!config.init_key.empty()) {
    const auto trials = store->trials(t.study_id);
    const auto* baseline = search::trial_with_key(trials, config.init_key);
    const std::string from =
        baseline ? "#" + std::to_string(baseline->id) : "(a trial no longer in the study)";
    std::printf("starts from the trained weights of its XNOR baseline %s\n", from.c_str());
  }
  std::printf("\n%-4s %-20s %-12s %12s %12s %12s\n", "#", "layer", "precision", "MACs", "energy nJ",
              "memory KiB");
  for (const auto& l : cost.layers)
    std::printf("%-4d %-20s %-12s %12lld %12.2f %12.2f\n", l.index, l.name.c_str(),
                l.precision.c_str(), (long long)l.macs, l.energy_pj / 1e3, l.memory_bits / 8192);
  std::printf(
      "total: energy %.2f uJ, memory %.1f KiB, E.E(FP) %.2f, M.C(FP) %.2f, "
      "E.E(XNOR) %.2f, M.C(XNOR) %.2f (%s table)\n",
      cost.total.energy_pj / 1e6, cost.total.memory_bits / 8192, cost.ee_fp, cost.mc_fp,
      cost.ee_xnor, cost.mc_xnor, cost.energy_table.c_str());
  if (!t.points.empty()) {
    // Operating points: the same network at each exit threshold (Algorithm 1 of the edge-cloud
    // paper); the FP network's energy for the ratio is E.E(FP) x this network's.
    const double fp_pj = cost.ee_fp * cost.total.energy_pj;
    std::printf(
        "\noperating points (every early exit at threshold t; energy per inference):\n"
        "%9s %-18s %9s %9s %9s %9s %7s\n",
        "t", "exit share", "accuracy", "edge uJ", "cloud uJ", "mean uJ", "EE(FP)");
    for (const auto& p : t.points) {
      std::string shares;
      for (double x : p.exit_share) {
        char b[16];
        std::snprintf(b, sizeof b, "%s%.1f%%", shares.empty() ? "" : " ", 100 * x);
        shares += b;
      }
      std::printf("%9g %-18s %9.4f %9.2f %9.2f %9.2f %7.2f\n",
                  p.thresholds.empty() ? 0.0 : p.thresholds.front(), shares.c_str(), p.accuracy,
                  p.edge_energy_pj / 1e6, p.cloud_energy_pj / 1e6, p.energy_pj / 1e6,
                  fp_pj / p.energy_pj);
    }
  }
  // Accuracies not measured at an epoch (-1: no validation split; the test set of a run with
  // one, before its last epoch) show as "-".
  const auto cell = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return v < 0 ? std::string("-") : std::string(buf);
  };
  std::printf("\nlearning curve:\n%5s %10s %10s %10s %10s %10s %8s\n", "epoch", "lr",
              "train loss", "train acc", "val acc", "test acc", "seconds");
  for (const auto& e : epochs)
    std::printf("%5d %10.5f %10.4f %10.4f %10s %10s %8.1f\n", e.epoch, e.lr, e.train_loss,
                e.train_accuracy, cell(e.val_accuracy).c_str(), cell(e.test_accuracy).c_str(),
                e.seconds);
  if (epochs.empty()) std::printf("  (no finished epoch yet)\n");
}

void setup_show(CLI::App& app) {
  auto opt = std::make_shared<ShowOptions>();
  auto* sub = app.add_subcommand(
      "show",
      "One trial: plan, per-layer precision and cost, learning curve, exit-threshold points");
  sub->add_option("--db", opt->db, kDbHelp)->required();
  sub->add_option("--trial", opt->trial, "Trial id (see `hybridnet trials`)")->required();
  sub->add_flag("--json", opt->json,
                "Print JSON (summary + plan, config, cost, learning_curve, points)");
  sub->callback([opt] { run_show(*opt); });
}

}  // namespace hybridnet::dse
