#include "search/export.h"

#include <filesystem>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sys/stat.h>

#include "models/cost_model.h"
#include "models/data_options.h"
#include "models/energy_table.h"
#include "models/error.h"
#include "models/atomic_file.h"
#include "models/network_weights_extract.h"
#include "models/onnx_writer.h"
#include "models/trainer.h"
#include "search/results.h"
#include "search/trial_config.h"

namespace hybridnet::search {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kExportReadme = R"(# hybridnet export

A trained hybrid binary / mixed-precision network, exported by `hybridnet export`.

| file | content |
|---|---|
| model.onnx | the network as ONNX (opset 17, standard operators; runs in ONNX Runtime): input `input` float [N, C, H, W] of raw pixels in [0, 1] (normalisation is inside the graph), output `logits`, and `exitK_logits` per early exit; binary and k-bit weights stored as bits; metadata: plan_hash, architecture, classes, input_shape, normalisation, hybridnet_version |
| edge.onnx, cloud.onnx | an edge-cloud network's two parts: the edge maps `input` to its early exits' `exitK_logits` and `features`, the feature map it sends on; the cloud maps `features` to `logits`. A sample leaves at the first exit whose softmax entropy (natural log) is below that exit's threshold (metadata `exit_thresholds`, when one was chosen), otherwise the device sends `features` to the cloud |
| plan.json | the network: architecture, width, shortcut wiring, and the precision of every weight layer (`weight_bits`, `input_bits`: 1 = binary sign with a per-filter scale, 2..8 = k-bit, 32 = full precision; `fp_fraction`: share of FP filters) |
| model.pt | the trained weights (LibTorch `torch::save` of the HybridNet module: quantizers are applied in the forward pass, so weights are stored in full precision) |
| run.json | everything needed to rebuild the network and its data: plan, data options, training settings, input shape, classes |
| state.json | the learning curve (one record per epoch) |
| metrics.json | final test accuracy (a fraction), top-5, loss, samples, plan hash |
| cost.json | the papers' cost model per layer and in total: energy (pJ), memory (bits), MACs, FLOPs, and the E.E / M.C ratios against the FP and XNOR networks |
| trial.json | (from a study) the study, trial id, family and parameters that produced it, and its objectives; for a network with early exits its operating points (`points`: per entropy threshold, exit shares, accuracy, edge/cloud/mean energy per inference) and, when one was chosen, the `thresholds` to deploy it with |

Check it: `hybridnet evaluate --export DIR` reproduces metrics.json's test accuracy on the same
data; `hybridnet arch --plan DIR/plan.json` lists the layers; the README of hybridnet
("Deploying a network") shows how to run model.onnx in ONNX Runtime.
)";

// Files of a run directory that the export carries as they are; metrics.json only once the
// run has finished.
constexpr const char* kCopiedFiles[] = {"plan.json", "model.pt", "run.json", "state.json"};

void check_run_files(const fs::path& run, bool finished) {
  for (const char* f : kCopiedFiles)
    if (!fs::exists(run / f))
      throw DataError((run / f).string() + ": missing; the run directory is incomplete");
  if (finished && !fs::exists(run / "metrics.json"))
    throw DataError((run / "metrics.json").string() +
                    ": missing; the run directory is incomplete");
}

// What an exported ONNX file of a loaded run records besides its graph.
models::OnnxModelInfo onnx_info(const models::LoadedRun& loaded) {
  models::OnnxModelInfo info;
  info.normalisation = models::normalisation(loaded.spec.data);
  info.class_names = models::class_names(loaded.spec.data);
  info.metadata["dataset"] = loaded.spec.data.name;
  return info;
}

// model.onnx, and edge.onnx / cloud.onnx for an edge-cloud network, from the run's weights.
void write_onnx_files(const fs::path& run, const fs::path& dir,
                      const std::vector<double>& thresholds) {
  const auto loaded = models::load_run(run.string());
  const auto weights = models::extract_network_weights(*loaded.net);
  const auto& arch = loaded.net->architecture();
  const auto& plan = loaded.spec.plan;
  models::OnnxModelInfo info = onnx_info(loaded);
  if (!plan.exits.empty()) {
    info.metadata["exit_rule"] =
        "a sample leaves at the first early exit whose softmax entropy (natural log) is below "
        "its threshold";
    if (!thresholds.empty()) info.metadata["exit_thresholds"] = json(thresholds).dump();
  }
  auto write = [&](const char* name, models::OnnxPart part) {
    write_file_atomic((dir / name).string(), models::onnx_model(arch, plan, weights, info, part));
  };
  write("model.onnx", models::OnnxPart::kWhole);
  if (plan.edge_layers > 0) {
    write("edge.onnx", models::OnnxPart::kEdge);
    write("cloud.onnx", models::OnnxPart::kCloud);
  }
}

// The files every export has, written into `dir` (a fresh directory of our own).
void write_run_export(const fs::path& run, const fs::path& dir, const models::HybridPlan& plan,
                      const models::DataOptions& data, const std::string& energy_table,
                      const std::vector<double>& thresholds) {
  for (const char* f : kCopiedFiles) copy_file_atomic((run / f).string(), (dir / f).string());
  if (fs::exists(run / "metrics.json"))
    copy_file_atomic((run / "metrics.json").string(), (dir / "metrics.json").string());
  const auto shape = models::data_shape(data);
  const auto cost = models::plan_cost(plan, shape.channels, shape.height, shape.width,
                                      shape.num_classes, models::load_energy_table(energy_table));
  write_file_atomic((dir / "cost.json").string(), models::cost_to_json(cost).dump(2) + "\n");
  write_onnx_files(run, dir, thresholds);
  write_file_atomic((dir / "README.md").string(), kExportReadme);
}

// trial.json: what produced the trial, and its operating points.
void write_trial_json(const db::TrialRecord& t, const std::string& study, const fs::path& dir) {
  json trial = trial_summary(t);
  trial["study"] = study;
  trial["config"] = t.config;
  if (!t.points.empty()) {
    json points = json::array();
    for (const auto& p : t.points) points.push_back(point_json(p));
    trial["points"] = points;
  }
  write_file_atomic((dir / "trial.json").string(), trial.dump(2) + "\n");
}

// A fresh, empty directory beside `out` (same filesystem, so renames into place are atomic).
fs::path make_staging_dir(const fs::path& out) {
  std::string pattern = (out.parent_path() / ("." + out.filename().string() + ".export-XXXXXX"));
  if (!::mkdtemp(pattern.data()))
    throw DataError(out.string() + ": cannot create a directory beside it: " +
                    std::strerror(errno));
  // mkdtemp makes it private (0700); the export is an ordinary directory (0777 less umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(pattern.c_str(), 0777 & ~mask);
  return pattern;
}

// Runs `write` into a staging directory and moves its files to `out_dir`.
void install_export(const std::string& out_dir, bool force,
                    const std::function<void(const fs::path&)>& write) {
  fs::path out = fs::absolute(fs::path(out_dir)).lexically_normal();
  if (!out.has_filename()) out = out.parent_path();  // "dir/"
  std::error_code ec;
  const auto status = fs::status(out, ec);
  const bool exists = fs::exists(status);
  if (exists && !fs::is_directory(status))
    throw ConfigError(out_dir + ": exists and is not a directory");
  const bool empty = !exists || fs::is_empty(out);
  if (!empty && !force)
    throw ConfigError(out_dir +
                      ": not empty; choose a new directory, or --force to replace the export's "
                      "files in it (other files stay)");
  fs::create_directories(out.parent_path());
  // Everything is written into a fresh directory first, so that a failure (a full disk) leaves
  // nothing behind and links already in --out are never written through: the files then move
  // into place by renames, which replace a link rather than follow it.
  const fs::path staging = make_staging_dir(out);
  try {
    write(staging);
    if (empty) {
      if (exists) fs::remove(out);
      fs::rename(staging, out);
    } else {
      for (const auto& e : fs::directory_iterator(staging))
        fs::rename(e.path(), out / e.path().filename());
      fs::remove(staging);
    }
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
}

}  // namespace

void export_trial(const db::TrialRecord& t, const std::string& study, const RunFiles& files,
                  const std::string& out_dir, bool force) {
  if (t.state != db::TrialState::kDone)
    throw ConfigError("trial " + std::to_string(t.id) + " is " + db::to_string(t.state) +
                      "; only finished (done) trials can be exported");
  const fs::path run = files.finished_run(study, t);
  check_run_files(run, /*finished=*/true);
  const auto plan = models::HybridPlan::from_json(t.plan, "trial #" + std::to_string(t.id));
  const TrialConfig config = trial_config(t);
  std::vector<double> thresholds;
  if (t.point >= 0) thresholds = t.points.at(t.point).thresholds;
  install_export(out_dir, force, [&](const fs::path& dir) {
    write_run_export(run, dir, plan, config.data, config.energy_table, thresholds);
    write_trial_json(t, study, dir);
  });
}

void export_run(const std::string& run_dir, const std::string& out_dir, bool force,
                double threshold, const std::string& energy_table) {
  const fs::path run(run_dir);
  if (!fs::is_directory(run)) throw DataError(run_dir + ": not a run directory");
  check_run_files(run, /*finished=*/false);
  const auto spec = models::load_run_spec(run_dir);
  std::vector<double> thresholds;
  if (threshold >= 0) thresholds.assign(spec.plan.exits.size(), threshold);
  install_export(out_dir, force, [&](const fs::path& dir) {
    write_run_export(run, dir, spec.plan, spec.data, energy_table, thresholds);
  });
}

std::string run_onnx_model(const std::string& run) {
  const auto loaded = models::load_run(run);
  return models::onnx_model(loaded.net->architecture(), loaded.spec.plan,
                            models::extract_network_weights(*loaded.net), onnx_info(loaded),
                            models::OnnxPart::kWhole);
}

}  // namespace hybridnet::search
