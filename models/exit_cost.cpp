#include "models/exit_cost.h"

#include <numeric>

#include "models/error.h"

namespace hybridnet::models {

ExitCosts exit_costs(const Architecture& arch, const HybridPlan& plan, const CostReport& cost) {
  // What a sample has run when it reaches the end of block b: the stem and blocks 0..b.
  auto energy_through = [&](int last_block) {
    double e = cost.layers.at(arch.stem).energy_pj;
    for (int i : arch.block_layers_through(last_block)) e += cost.layers.at(i).energy_pj;
    return e;
  };
  ExitCosts c;
  double exits_so_far = 0;
  for (const auto& x : arch.exits) {
    exits_so_far += cost.layers.at(x.layer).energy_pj;
    c.to_exit_pj.push_back(energy_through(x.after_block) + exits_so_far);
  }
  const double total = cost.total.energy_pj;
  if (plan.edge_layers > 0) {
    const int split = arch.block_ending_at(plan.edge_layers);
    if (split < 0) throw ConfigError("edge split after " + std::to_string(plan.edge_layers) +
                                     " layers does not end a block");
    c.edge_pj = energy_through(split) + exits_so_far;
    c.cloud_pj = total - c.edge_pj;
    const auto& last = arch.layers.at(arch.blocks[split].main.back());
    c.transfer_values = int64_t(last.out_channels) * last.out_h * last.out_w;
    if (arch.blocks[split].pool_after)  // VGG: the pooled map is sent
      c.transfer_values = int64_t(last.out_channels) * ((last.out_h + 1) / 2) *
                          ((last.out_w + 1) / 2);
  } else {
    c.edge_pj = total;
  }
  return c;
}

InferenceEnergy inference_energy(const ExitCosts& costs, const std::vector<double>& exit_share,
                                 double transfer_pj_per_bit) {
  if (exit_share.size() != costs.to_exit_pj.size())
    throw ConfigError("inference_energy: " + std::to_string(exit_share.size()) +
                      " exit shares for " + std::to_string(costs.to_exit_pj.size()) + " exits");
  InferenceEnergy e;
  const double left = std::accumulate(exit_share.begin(), exit_share.end(), 0.0);
  const double onward = std::max(0.0, 1.0 - left);
  for (size_t k = 0; k < exit_share.size(); ++k) e.edge_pj += exit_share[k] * costs.to_exit_pj[k];
  e.edge_pj += onward * costs.edge_pj;
  e.cloud_pj = onward * costs.cloud_pj;
  e.transfer_pj = onward * double(costs.transfer_values) * 32 * transfer_pj_per_bit;
  return e;
}

std::vector<OperatingPoint> operating_points(const ExitCurve& curve, const ExitCosts& costs,
                                             const std::vector<double>& grid,
                                             double transfer_pj_per_bit) {
  std::vector<OperatingPoint> out;
  for (double t : grid) {
    OperatingPoint p;
    p.exit = curve.at(std::vector<double>(curve.early_exits(), t));
    p.energy = inference_energy(costs, p.exit.exit_share, transfer_pj_per_bit);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hybridnet::models
