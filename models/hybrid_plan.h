// HybridPlan: which network to build and at which precision each weight layer runs. Plans come
// from JSON files or presets; their canonical JSON (every layer listed, forward order) hashes to
// a stable id, so two parameter settings that select the same layers name the same network.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "models/architecture.h"
#include "models/precision.h"

namespace hybridnet::models {

struct LayerPrecision {
  std::string name;
  Precision precision;
};

struct HybridPlan {
  std::string arch = "resnet20";
  double width = 1.0;
  ShortcutPolicy shortcut;
  std::vector<LayerPrecision> layers;  ///< canonical: every weight layer, forward order
  /// Edge-cloud split (edge-cloud paper): the stem and the first `edge_layers` main-path body
  /// convs run on the edge, the rest in the cloud; 0 = no split.
  int edge_layers = 0;
  /// Early exits after this many main-path body convs (ascending, within the edge part).
  std::vector<int> exits;

  /// Architecture for a given data shape.
  ArchConfig arch_config(int in_channels, int in_h, int in_w, int num_classes) const;
  /// The architecture at a nominal shape: layer names and roles do not depend on the data shape.
  Architecture describe() const;
  /// Precision of layer `name`; throws ConfigError when the plan has no such layer.
  const Precision& precision(const std::string& name) const;
  Precision& precision(const std::string& name);

  /// Canonical JSON: {"arch","width","shortcut":{"type","every"},"layers":[{name,weight_bits,
  /// input_bits,fp_fraction}...]} with every layer listed, and "edge_cloud": {"edge_layers",
  /// "exits"} when the plan has a split or exits.
  nlohmann::json to_json() const;
  /// 16 hex digits (FNV-1a 64) of the canonical JSON text: equal plans, equal hashes.
  std::string hash() const;

  /// Parses and validates a plan. `where` (a file name) prefixes every error, which names the
  /// JSON path of the bad field. Layers not listed take the XNOR defaults: stem and classifier
  /// FP, other layers binary; shortcut convs binary, or FP with "shortcut": {"type": "conv_fp"}.
  /// With "edge_cloud": {"edge_layers": M, "edge_bits": p1, "exits": [...]}, they take the
  /// edge-cloud paper's defaults instead: the edge's body convs p1-bit (weights and inputs, 1 by
  /// default), its stem and shortcut convs FP, every cloud layer and exit FP.
  static HybridPlan from_json(const nlohmann::json& j, const std::string& where);

  bool operator==(const HybridPlan& o) const;
};

/// 16 hex digits of the FNV-1a 64 hash of `text` (plan hashes, trial keys).
std::string text_hash(const std::string& text);

/// Reads a plan file; errors name the file.
HybridPlan load_plan_file(const std::string& path);
/// Writes the canonical JSON, pretty-printed.
void save_plan_file(const HybridPlan& plan, const std::string& path);

/// The XNOR-Net plan for an architecture: stem and classifier FP, every other layer binary.
HybridPlan xnor_plan(const std::string& arch, double width, ShortcutPolicy shortcut);

/// `plan` with a shortcut around every `every` main-path convs (the PCA paper's Hybrid-Net puts
/// one around every conv) and the same precisions: layers are matched by role and forward order,
/// so the n-th main-path conv keeps its bits whatever its new name. A plan without shortcuts
/// (VGG) is returned as it is; ConfigError when the wiring changes the number of shortcut convs.
HybridPlan with_shortcut_every(const HybridPlan& plan, int every);

}  // namespace hybridnet::models
