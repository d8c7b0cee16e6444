// Cost model of the papers: per-layer operation counts (hybrid-architectures Table 1, PCA paper
// Tables 5-6), energy from an EnergyTable, memory = weights x bits + one 32-bit alpha per output
// filter of each weight-quantized conv, and FLOPs with binary ops at 1/58 (partition paper 3.3).
// No torch: it works on the static Architecture and the plan.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "models/architecture.h"
#include "models/energy_table.h"
#include "models/hybrid_plan.h"

namespace hybridnet::models {

struct CostOptions {
  /// Charge 1x1 shortcut convs no input reads or output writes, as if they shared the main
  /// path's input read and accumulated into its output. Off = Table 1 literally. With it on,
  /// Hybrid-Res A's E.E(FP) is 17.10 (paper: 17.3); off, 13.65.
  bool shortcut_shares_io = false;
};

struct LayerCost {
  int index = 0;
  std::string name;
  std::string precision;  ///< Precision::label()
  int64_t params = 0;
  int64_t macs = 0;
  double flops = 0;  ///< MACs, binary x binary ones counted as 1/58
  double energy_pj = 0;
  double memory_bits = 0;
};

struct CostTotals {
  double energy_pj = 0;
  double memory_bits = 0;
  int64_t macs = 0;
  double flops = 0;
  int64_t params = 0;
};

struct CostReport {
  std::string energy_table;
  std::vector<LayerCost> layers;
  CostTotals total;
  /// Ratios of the papers (reference / this network): against the width-1 FP and XNOR networks
  /// of the same architecture with its default shortcut wiring.
  double ee_fp = 0, mc_fp = 0, ee_xnor = 0, mc_xnor = 0;
};

/// Cost of one network (no reference ratios).
CostReport network_cost(const Architecture& arch, const HybridPlan& plan, const EnergyTable& table,
                        const CostOptions& options = {});

/// Cost with the E.E / M.C ratios filled in, for a given data shape.
CostReport plan_cost(const HybridPlan& plan, int in_channels, int in_h, int in_w, int num_classes,
                     const EnergyTable& table, const CostOptions& options = {});

/// {"energy_table", "layers": [...], "total": {energy_pj, memory_bits, macs, flops, params,
/// ee_fp, mc_fp, ee_xnor, mc_xnor}}
nlohmann::json cost_to_json(const CostReport& report);

}  // namespace hybridnet::models
