// Operation counting. For a layer with I inputs, O outputs, k x k kernel, N x N input and M x M
// output (linear layers: N = M = k = 1):
//   input reads N^2 I (at input bits), weight reads k^2 I O (at weight bits),
//   output writes M^2 O (at the op bits; quantized layers only if the table charges them),
//   MACs M^2 I k^2 O at the op bits = max(weight bits, input bits),
//   and for weight-quantized layers the alpha: O 32-bit reads (if the table charges them) and
//   M^2 O FP computations. An intra-layer sectioned layer is costed as its FP filters plus its
//   quantized filters, each reading the whole input.
#include "models/cost_model.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace hybridnet::models {

namespace {

constexpr double kBinaryOpsPerFlop = 58.0;  // XNOR-Net speed-up, partition paper section 3.3

struct PartCost {
  double energy = 0, memory = 0, flops = 0;
};

PartCost part_cost(const LayerSpec& l, int out, int wb, int ib, const EnergyTable& t,
                   const CostOptions& opt) {
  PartCost c;
  if (out <= 0) return c;
  const double k2 = double(l.kernel) * l.kernel;
  double input_reads = double(l.in_h) * l.in_w * l.in_channels;
  const double weights = k2 * l.in_channels * out;
  double output_writes = double(l.out_h) * l.out_w * out;
  const double macs = double(l.out_h) * l.out_w * l.in_channels * k2 * out;
  if (opt.shortcut_shares_io && l.role == LayerRole::kShortcut) input_reads = output_writes = 0;

  const bool fp = wb == kFullPrecisionBits && ib == kFullPrecisionBits;
  const int op_bits = std::max(wb, ib);
  double bits_moved = input_reads * ib + weights * wb;
  if (fp || t.quantized_output_write) bits_moved += output_writes * op_bits;
  c.energy = bits_moved * t.memory_access_pj_per_bit + macs * t.mac(op_bits);
  c.memory = weights * wb;
  if (wb < kFullPrecisionBits) {
    const double alpha_ops = double(l.out_h) * l.out_w * out;
    if (t.alpha_memory_access) c.energy += double(out) * 32 * t.memory_access_pj_per_bit;
    c.energy += alpha_ops * t.mac(kFullPrecisionBits);
    // One 32-bit alpha per output filter of quantized convs. The hybrid-architectures paper's
    // VGG numbers (XNOR VGG-19 M.C 24.08) count none for binary linear layers.
    if (l.kind == LayerKind::kConv) c.memory += 32.0 * out;
  }
  if (wb <= 8 && ib <= 8)  // k x k-bit MAC = wb * ib binary XNOR-popcount ops (bit-serial)
    c.flops = macs * wb * ib / kBinaryOpsPerFlop;
  else
    c.flops = macs;
  return c;
}

}  // namespace

CostReport network_cost(const Architecture& arch, const HybridPlan& plan, const EnergyTable& table,
                        const CostOptions& options) {
  CostReport r;
  r.energy_table = table.name;
  for (const auto& l : arch.layers) {
    const Precision& p = plan.precision(l.name);
    const int fp_out = fp_filter_count(p, l.out_channels);
    const PartCost a = part_cost(l, fp_out, kFullPrecisionBits, kFullPrecisionBits, table, options);
    const PartCost b =
        part_cost(l, l.out_channels - fp_out, p.weight_bits, p.input_bits, table, options);
    LayerCost c;
    c.index = l.index;
    c.name = l.name;
    c.precision = p.label();
    c.params = l.params();
    c.macs = l.macs();
    c.flops = a.flops + b.flops;
    c.energy_pj = a.energy + b.energy;
    c.memory_bits = a.memory + b.memory;
    r.total.energy_pj += c.energy_pj;
    r.total.memory_bits += c.memory_bits;
    r.total.macs += c.macs;
    r.total.flops += c.flops;
    r.total.params += c.params;
    r.layers.push_back(c);
  }
  return r;
}

CostReport plan_cost(const HybridPlan& plan, int in_channels, int in_h, int in_w, int num_classes,
                     const EnergyTable& table, const CostOptions& options) {
  auto cost_of = [&](const HybridPlan& p) {
    return network_cost(describe_architecture(p.arch_config(in_channels, in_h, in_w, num_classes)),
                        p, table, options);
  };
  CostReport r = cost_of(plan);
  HybridPlan xnor = xnor_plan(plan.arch, 1.0, default_shortcut(plan.arch));
  HybridPlan fp = xnor;
  for (auto& l : fp.layers) l.precision = Precision::fp();
  const CostReport rf = cost_of(fp), rx = cost_of(xnor);
  r.ee_fp = rf.total.energy_pj / r.total.energy_pj;
  r.mc_fp = rf.total.memory_bits / r.total.memory_bits;
  r.ee_xnor = rx.total.energy_pj / r.total.energy_pj;
  r.mc_xnor = rx.total.memory_bits / r.total.memory_bits;
  return r;
}

nlohmann::json cost_to_json(const CostReport& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : r.layers)
    layers.push_back({{"index", l.index},
                      {"name", l.name},
                      {"precision", l.precision},
                      {"params", l.params},
                      {"macs", l.macs},
                      {"flops", l.flops},
                      {"energy_pj", l.energy_pj},
                      {"memory_bits", l.memory_bits}});
  return {{"energy_table", r.energy_table},
          {"layers", layers},
          {"total",
           {{"energy_pj", r.total.energy_pj},
            {"memory_bits", r.total.memory_bits},
            {"macs", r.total.macs},
            {"flops", r.total.flops},
            {"params", r.total.params},
            {"ee_fp", r.ee_fp},
            {"mc_fp", r.mc_fp},
            {"ee_xnor", r.ee_xnor},
            {"mc_xnor", r.mc_xnor}}}};
}

}  // namespace hybridnet::models
