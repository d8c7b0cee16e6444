// Profile assembly. The capture callback only accumulates (O(sum O_i^2) memory); all derived
// numbers are computed once at the end.
#include "analysis/profile.h"

#include <stdexcept>

#include "analysis/pca.h"
#include "models/cost_model.h"
#include "models/energy_table.h"
#include "models/error.h"
#include "models/run_spec.h"

namespace hybridnet::analysis {

using models::LayerRole;

std::vector<int> profiled_layers(const models::Architecture& arch) {
  std::vector<int> out;
  for (const auto& l : arch.layers)
    if (l.role == LayerRole::kStem || l.role == LayerRole::kBody) out.push_back(l.index);
  return out;
}

Profile make_profile(const models::Architecture& arch, const models::HybridPlan& plan,
                     const std::map<int, LayerStats>& stats, const ProfileOptions& options) {
  if (!(options.threshold > 0.0 && options.threshold <= 1.0))
    throw ConfigError("--threshold " + std::to_string(options.threshold) + " must be in (0, 1]");
  Profile p;
  p.arch = plan.arch;
  p.plan = plan;
  p.threshold = options.threshold;
  p.plain = options.capture.plain;
  p.scaled_error = options.scaled_error;
  // NF_i from the cost model: FLOPs of the profiled plan, binary x binary MACs at 1/58. The
  // FLOP count does not depend on the energy table.
  const models::CostReport cost =
      models::network_cost(arch, plan, models::load_energy_table(models::kDefaultEnergyTable));
  int position = 0;
  for (int index : profiled_layers(arch)) {
    const auto& spec = arch.layers[index];
    auto it = stats.find(index);
    if (it == stats.end()) throw std::logic_error("make_profile(): no statistics for " + spec.name);
    LayerProfile l;
    l.position = ++position;
    l.layer = index;
    l.name = spec.name;
    l.out_channels = spec.out_channels;
    const PcaSpectrum s = pca_spectrum(it->second.output.covariance());
    l.explained_variance = s.cumulative_explained;  // k and delta_k: retune() below
    l.error = it->second.input.error();
    l.error_scaled = it->second.input.scaled_error();
    l.flops = cost.layers[index].flops;
    l.eligible = spec.role == LayerRole::kBody && !plan.precision(spec.name).is_fp();
    p.samples = it->second.input.samples();
    p.layers.push_back(l);
  }
  return retune(std::move(p), options.threshold, options.gamma);
}

Profile retune(Profile p, double threshold, double gamma) {
  if (!(threshold > 0.0 && threshold <= 1.0))
    throw ConfigError("threshold " + std::to_string(threshold) + " must be in (0, 1]");
  p.threshold = threshold;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    auto& l = p.layers[i];
    l.k = components_at(l.explained_variance, threshold);
    l.delta_k = i == 0 ? 0 : l.k - p.layers[i - 1].k;
  }
  double sum_e = 0, sum_inv = 0;
  int eligible = 0;
  for (const auto& l : p.layers)
    if (l.eligible) {
      sum_e += p.scaled_error ? l.error_scaled : l.error;
      sum_inv += 1.0 / l.flops;
      ++eligible;
    }
  p.gamma = gamma >= 0 ? gamma : (eligible && sum_inv > 0 ? sum_e / sum_inv : 0.0);
  for (auto& l : p.layers)
    l.metric = (p.scaled_error ? l.error_scaled : l.error) + p.gamma / l.flops;
  return p;
}

Profile profile_run(const std::string& dir, const models::DataOptions& data,
                    const ProfileOptions& options, const models::ActivationCapture& capture) {
  const models::RunSpec run = models::load_run_spec(dir);
  const models::HybridPlan& plan = run.plan;
  const auto arch = models::describe_architecture(
      plan.arch_config(run.in_channels, run.in_h, run.in_w, run.num_classes));
  std::map<int, LayerStats> stats;
  for (int index : profiled_layers(arch))
    stats.emplace(index, LayerStats{StreamingCovariance(arch.layers[index].out_channels), {}});
  capture(
      dir, data, options.capture,
      [&](int layer, const models::ActivationView& input, const models::ActivationView& output) {
        auto it = stats.find(layer);
        if (it == stats.end()) return;
        it->second.output.add_channel_major(output.data, output.samples, output.positions);
        it->second.input.add(input.data, input.samples, input.per_sample());
      });
  return make_profile(arch, plan, stats, options);
}

}  // namespace hybridnet::analysis
