#include "search/export.h"

#include <filesystem>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "models/cost_model.h"
#include "models/data_options.h"
#include "models/energy_table.h"
#include "models/error.h"
#include "models/atomic_file.h"
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
| plan.json | the network: architecture, width, shortcut wiring, and the precision of every weight layer (`weight_bits`, `input_bits`: 1 = binary sign with a per-filter scale, 2..8 = k-bit, 32 = full precision; `fp_fraction`: share of FP filters) |
| model.pt | the trained weights (LibTorch `torch::save` of the HybridNet module: quantizers are applied in the forward pass, so weights are stored in full precision) |
| run.json | everything needed to rebuild the network and its data: plan, data options, training settings, input shape, classes |
| state.json | the learning curve (one record per epoch) |
| metrics.json | final test accuracy (a fraction), top-5, loss, samples, plan hash |
| cost.json | the papers' cost model per layer and in total: energy (pJ), memory (bits), MACs, FLOPs, and the E.E / M.C ratios against the FP and XNOR networks |
| trial.json | the study, trial id, family and parameters that produced it, and its objectives; for a network with early exits its operating points (`points`: per entropy threshold, exit shares, accuracy, edge/cloud/mean energy per inference) and, when one was chosen, the `thresholds` to deploy it with (a sample leaves at the first exit whose softmax entropy is below its threshold) |

Check it: `hybridnet evaluate --export DIR` reproduces metrics.json's test accuracy on the same
data; `hybridnet arch --plan DIR/plan.json` lists the layers.
)";

// Files of the trial's run directory that the export carries as they are.
constexpr const char* kCopiedFiles[] = {"plan.json", "model.pt", "run.json", "state.json",
                                        "metrics.json"};


// The export's files, written into `dir` (a fresh directory of our own).
void write_export(const db::TrialRecord& t, const std::string& study, const fs::path& run,
                  const fs::path& dir) {
  for (const char* f : kCopiedFiles) copy_file_atomic((run / f).string(), (dir / f).string());
  const auto plan = models::HybridPlan::from_json(t.plan, "trial #" + std::to_string(t.id));
  const TrialConfig config = trial_config(t);
  const auto shape = models::data_shape(config.data);
  const auto cost =
      models::plan_cost(plan, shape.channels, shape.height, shape.width, shape.num_classes,
                        models::load_energy_table(config.energy_table));
  write_file_atomic((dir / "cost.json").string(), models::cost_to_json(cost).dump(2) + "\n");
  json trial = trial_summary(t);
  trial["study"] = study;
  trial["config"] = t.config;
  if (!t.points.empty()) {
    json points = json::array();
    for (const auto& p : t.points) points.push_back(point_json(p));
    trial["points"] = points;
  }
  write_file_atomic((dir / "trial.json").string(), trial.dump(2) + "\n");
  write_file_atomic((dir / "README.md").string(), kExportReadme);
}

// A fresh, empty directory beside `out` (same filesystem, so renames into place are atomic).
fs::path make_staging_dir(const fs::path& out) {
  std::string pattern = (out.parent_path() / ("." + out.filename().string() + ".export-XXXXXX"));
  if (!::mkdtemp(pattern.data()))
    throw DataError(out.string() + ": cannot create a directory beside it: " +
                    std::strerror(errno));
  return pattern;
}

}  // namespace

void export_trial(const db::TrialRecord& t, const std::string& study, const RunFiles& files,
                  const std::string& out_dir, bool force) {
  if (t.state != db::TrialState::kDone)
    throw ConfigError("trial " + std::to_string(t.id) + " is " + db::to_string(t.state) +
                      "; only finished (done) trials can be exported");
  const fs::path run = files.finished_run(study, t);
  for (const char* f : kCopiedFiles)
    if (!fs::exists(run / f))
      throw DataError((run / f).string() + ": missing; the trial's run directory is incomplete");
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
    write_export(t, study, run, staging);
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

}  // namespace hybridnet::search
