// `hybridnet analyze`: profile a trained binary network (PCA k_i, binarisation error, metric) and
// turn the profile into hybrid plans with the PCA, partition and combined selectors.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "analysis/profile.h"
#include "analysis/profile_io.h"
#include "analysis/selectors.h"
#include "analysis/svg_chart.h"
#include "dse/cli_common.h"
#include "dse/cli_validators.h"
#include "dse/subcommands.h"
#include "models/activation_capture.h"
#include "models/cost_model.h"
#include "models/dataset.h"
#include "models/energy_table.h"
#include "models/error.h"
#include "models/presets.h"
#include "models/atomic_file.h"
#include "models/trainer.h"

namespace hybridnet::dse {

namespace fs = std::filesystem;
using nlohmann::json;

struct AnalyzeOptions {
  std::string checkpoint;
  std::string model;
  int train_epochs = 2;
  std::string out;
  models::DataOptions data;
  int64_t samples = 2000;
  double threshold = 0.99;
  std::vector<double> deltas = {1, 2, 4};
  std::vector<int> kbs = {2};
  std::vector<double> ratios = {0.2, 0.4, 0.6};
  double gamma = -1;
  bool scaled_error = false;
  int combined_kb = 2;
  bool plain = false;
  bool json = false;
  std::string plot_dir;
  std::string energy_table = models::kDefaultEnergyTable;
  uint64_t seed = 0;
  int threads = 0;
  bool dataset_given = false;
};

namespace {

// Trains the XNOR baseline when no checkpoint is given; returns the run directory.
std::string baseline(const AnalyzeOptions& o) {
  const std::string model = o.model.empty() ? models::kDefaultArch : o.model;
  const std::string dir = o.out.empty() ? "runs/analyze-" + model + "-xnor" : o.out;
  models::TrainConfig train;
  train.epochs = o.train_epochs;
  train.optimizer = models::Optimizer::kAdam;
  train.lr = 1e-3;
  train.seed = o.seed;
  train.threads = o.threads;
  const auto data = models::load_data(o.data);
  const auto spec = models::make_run_spec(models::make_preset("xnor", model), o.data, data, train);
  std::fprintf(stderr, "training the XNOR %s baseline (%d epochs, adam) into %s\n", model.c_str(),
               o.train_epochs, dir.c_str());
  models::TrainCallbacks cb;
  cb.epoch = [&](const models::EpochRecord& e) {
    std::fprintf(stderr, "  epoch %d/%d: loss %.4f  test acc %.4f  (%.1f s)\n", e.epoch,
                 o.train_epochs, e.train_loss, e.test_accuracy, e.seconds);
  };
  models::train_run(spec, data, dir, cb);
  return dir;
}

// "Delta=1 kb=2", "R=0.4", "R=0.4 kb=2": the parameters that vary between settings.
std::string params_label(const analysis::Selection& s) {
  char buf[64];
  if (s.selector == "pca")
    std::snprintf(buf, sizeof buf, "Delta=%g kb=%d", s.params["delta"].get<double>(),
                  s.params["kb"].get<int>());
  else if (s.selector == "partition")
    std::snprintf(buf, sizeof buf, "R=%g", s.params["ratio"].get<double>());
  else
    std::snprintf(buf, sizeof buf, "R=%g kb=%d", s.params["ratio"].get<double>(),
                  s.params["kb"].get<int>());
  return buf;
}

std::string positions(const analysis::Profile& p, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& l : p.layers)
    for (const auto& n : names)
      if (n == l.name) out += (out.empty() ? "" : ",") + std::to_string(l.position);
  return out.empty() ? "-" : out;
}

}  // namespace

void run_analyze(AnalyzeOptions o) {
  if (!o.checkpoint.empty() && !o.model.empty())
    throw ConfigError(
        "give either --checkpoint DIR or --model M (to train the baseline), not both");
  if (!(o.threshold > 0 && o.threshold <= 1)) throw ConfigError("--variance must be in (0, 1]");
  for (double r : o.ratios)
    if (!(r > 0 && r <= 1))
      throw ConfigError("--ratio " + std::to_string(r) + " must be in (0, 1]");
  const std::string dir = o.checkpoint.empty() ? baseline(o) : o.checkpoint;
  const models::RunSpec spec = models::load_run_spec(dir);  // the weights load in profile_run
  models::DataOptions data = spec.data;  // the run's own dataset unless another is asked
  if (o.dataset_given && o.data.name != data.name) {
    data = models::DataOptions{};
    data.name = o.data.name;
  }
  if (!o.data.dir.empty()) data.dir = o.data.dir;

  analysis::ProfileOptions po;
  po.threshold = o.threshold;
  po.gamma = o.gamma;
  po.scaled_error = o.scaled_error;
  po.capture.samples = o.samples;
  po.capture.plain = o.plain;
  po.capture.threads = o.threads;
  std::fprintf(stderr, "profiling %s (%s) on %lld %s images%s\n", dir.c_str(),
               spec.plan.arch.c_str(), (long long)o.samples, data.name.c_str(),
               o.plain ? ", shortcuts removed" : "");
  const analysis::Profile p = analysis::profile_run(dir, data, po, models::capture_activations);

  std::vector<analysis::Selection> selections;
  for (double d : o.deltas)
    for (int kb : o.kbs) selections.push_back(analysis::select_pca(p, d, kb));
  for (double r : o.ratios) selections.push_back(analysis::select_partition(p, r, o.seed));
  for (double r : o.ratios)
    selections.push_back(analysis::select_combined(p, r, o.combined_kb, o.seed));

  // Per-layer table; "sig" marks Delta = first --delta, "part" the first --ratio's partition.
  const auto& first_pca = selections.front();
  const auto& first_part = selections[o.deltas.size() * o.kbs.size()];
  auto in = [](const std::vector<std::string>& v, const std::string& n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  // The tables, unless --json asks for the JSON instead.
  const auto print = [&](const char* format, auto... args) {
    if (!o.json) std::printf(format, args...);
  };
  print("%s profile: T = %g, gamma = %.4g (%s), %lld samples%s\n", p.arch.c_str(), p.threshold,
        p.gamma, o.gamma < 0 ? "auto: mean E / mean 1/NF" : "given", (long long)p.samples,
        p.plain ? ", plain" : "");
  print("%4s  %-18s %5s %5s %6s %6s %9s %9s %10s %6s\n", "pos", "name", "O", "k", "dk", "sig", "E",
        "NF", "M", "part");
  for (const auto& l : p.layers)
    print("%4d  %-18s %5d %5d %6d %6s %9.4f %9s %10.4f %6s\n", l.position, l.name.c_str(),
          l.out_channels, l.k, l.delta_k,
          !l.eligible                      ? "(fp)"
          : in(first_pca.upgraded, l.name) ? "yes"
                                           : "",
          o.scaled_error ? l.error_scaled : l.error, human(l.flops).c_str(), l.metric,
          in(first_part.upgraded, l.name) ? "yes" : "");
  print("sig: Delta = %g, k_b = %d; part: R = %g\n\n", o.deltas.front(), o.kbs.front(),
        o.ratios.front());

  const auto table = models::load_energy_table(o.energy_table);
  json out_sel = json::array();
  print("%-10s %-16s %-26s %7s %7s %7s %7s\n", "selector", "params", "upgraded (pos)", "EE(FP)",
        "MC(FP)", "EE(XN)", "MC(XN)");
  for (const auto& s : selections) {
    const auto cost =
        models::plan_cost(s.plan, spec.in_channels, spec.in_h, spec.in_w, spec.num_classes, table);
    const std::string params = params_label(s);
    if (s.found)
      print("%-10s %-16s %-26s %7.2f %7.2f %7.2f %7.2f\n", s.selector.c_str(), params.c_str(),
            positions(p, s.upgraded).c_str(), cost.ee_fp, cost.mc_fp, cost.ee_xnor, cost.mc_xnor);
    else
      print("%-10s %-16s none: %s\n", s.selector.c_str(), params.c_str(), s.message.c_str());
    auto c = models::cost_to_json(cost);
    out_sel.push_back({{"selector", s.selector},
                       {"params", s.params},
                       {"found", s.found},
                       {"message", s.message},
                       {"layers_upgraded", s.upgraded},
                       {"reasons", s.reasons},
                       {"plan", s.plan.to_json()},
                       {"plan_hash", s.plan.hash()},
                       {"cost", c["total"]}});
  }

  if (o.json) {
    // The stored profile's JSON (as a sweep keeps it), plus where it came from and the plans.
    json out = analysis::profile_to_json(p);
    for (auto& l : out["layers"]) l["index"] = l["layer"];
    out["checkpoint"] = dir;
    out["selections"] = out_sel;
    std::printf("%s\n", out.dump(2).c_str());
  }
  if (!o.plot_dir.empty()) {
    fs::create_directories(o.plot_dir);
    analysis::SvgChart k;
    k.title = p.arch + ": principal components explaining " +
              std::to_string(p.threshold).substr(0, 5) +
              " of the variance (Delta = " + std::to_string(o.deltas.front()).substr(0, 4) + ")";
    k.x_label = "layer";
    k.y_label = "k_i";
    k.series_label = "k_i";
    k.highlight_label = "significant";
    analysis::SvgChart m = k;
    m.title = p.arch + ": binarisation-error metric M_i = E_i + gamma / NF_i (R = " +
              std::to_string(o.ratios.front()).substr(0, 4) + ")";
    m.y_label = "M_i";
    m.series_label = "M_i";
    m.highlight_label = "WeightBin (partition)";
    m.bars = true;
    for (const auto& l : p.layers) {
      const std::string tick = std::to_string(l.position) + " " + l.name;
      k.x_ticks.push_back(tick);
      k.values.push_back(l.k);
      k.highlighted.push_back(in(first_pca.upgraded, l.name));
      m.x_ticks.push_back(tick);
      m.values.push_back(l.metric);
      m.highlighted.push_back(in(first_part.upgraded, l.name));
    }
    write_file_atomic((fs::path(o.plot_dir) / "pca_components.svg").string(),
                    analysis::render_svg(k));
    write_file_atomic((fs::path(o.plot_dir) / "binarization_metric.svg").string(),
                    analysis::render_svg(m));
    std::fprintf(stderr, "wrote %s/pca_components.svg and binarization_metric.svg\n",
                 o.plot_dir.c_str());
  }
}

void setup_analyze(CLI::App& app) {
  auto opt = std::make_shared<AnalyzeOptions>();
  auto* sub = app.add_subcommand(
      "analyze",
      "Profile a trained binary network and propose hybrid plans (PCA, partition, combined)");
  sub->add_option("--checkpoint", opt->checkpoint,
                  "Run directory of the trained network to profile");
  sub->add_option("--model", opt->model,
                  "Without --checkpoint: train the XNOR baseline of this architecture first");
  sub->add_option("--train-epochs", opt->train_epochs, "Epochs of that baseline (Adam 1e-3)")
      ->capture_default_str();
  sub->add_option("--out", opt->out,
                  "Run directory of that baseline (default runs/analyze-M-xnor)");
  sub->add_option("--dataset", opt->data.name, "Dataset (default: the checkpoint's own)")
      ->each([opt](const std::string&) { opt->dataset_given = true; });
  sub->add_option("--data", opt->data.dir, "Directory of the dataset files");
  sub->add_option("--subset", opt->data.subset,
                  "Baseline training: first N training images (0 = all)");
  sub->add_option("--samples", opt->samples, "Training images profiled (0 = all)")
      ->capture_default_str();
  sub->add_option("--variance", opt->threshold,
                  "T: fraction of the variance that defines k_i (the space files' \"T\")")
      ->capture_default_str();
  // --threshold is export's exit threshold; here it was T.
  add_renamed_option(*sub, "--threshold",
                     "analyze: --threshold is now --variance (T, the variance fraction)");
  sub->add_option("--delta", opt->deltas,
                  "Delta values: layer i is significant when k_i - k_i-1 > Delta")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--kb", opt->kbs, "k_b values (2..8) for significant layers")
      ->delimiter(',')
      ->check(in_range(2, 8))
      ->capture_default_str();
  sub->add_option("--ratio", opt->ratios, "Hybridization ratios R (0, 1] for the partition")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--gamma", opt->gamma,
                  "gamma of M_i = E_i + gamma / NF_i (default: mean E_i / mean 1/NF_i over the "
                  "quantized layers, so both terms have the same mean)");
  sub->add_flag("--scaled-error", opt->scaled_error,
                "Use ||I - beta sign I||^2 / n with beta = mean |I| in M_i");
  sub->add_option("--combined-kb", opt->combined_kb,
                  "Combined selector: k_b (2..8) for the upgraded layers, or 32 for FP inputs")
      ->capture_default_str();
  sub->add_flag("--plain", opt->plain, "Profile with the shortcut connections removed (PCA paper)");
  sub->add_flag("--json", opt->json,
                "Print the profile and selections as JSON instead of the tables");
  sub->add_option("--plot", opt->plot_dir,
                  "Write pca_components.svg and binarization_metric.svg to DIR");
  sub->add_option("--energy-table", opt->energy_table, "Energy table for the plans' cost")
      ->capture_default_str();
  sub->add_option("--seed", opt->seed, "K-means seed")->capture_default_str();
  sub->add_option("--threads", opt->threads, "Intra-op threads (0 = all cores)");
  sub->footer(
      "Without --checkpoint, --model trains the XNOR baseline first. Layers are numbered from 1 "
      "with the stem as 1 (the PCA paper's Table 2 numbering); only quantized body layers can be "
      "upgraded.");
  sub->callback([opt] {
    if (opt->checkpoint.empty() && opt->model.empty())
      throw ConfigError("analyze needs --checkpoint DIR, or --model M to train the baseline");
    run_analyze(*opt);
  });
}

}  // namespace hybridnet::dse
