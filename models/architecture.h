// Static description of a network: its weight layers (LayerSpec) and how they are wired (blocks,
// shortcuts, pools). Derived from the architecture name and shape without running anything; the
// cost model, `hybridnet arch`, plan validation and the torch builder all read this one
// description, so they cannot disagree about which layers exist.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hybridnet::models {

enum class LayerKind { kConv, kLinear };
/// Where a layer sits: the papers keep the stem (first conv) and classifier FP by default.
enum class LayerRole { kStem, kBody, kShortcut, kClassifier };

const char* to_string(LayerKind kind);
const char* to_string(LayerRole role);

/// One weight layer. For linear layers kernel = 1 and all spatial sizes are 1.
struct LayerSpec {
  int index = 0;
  std::string name;
  LayerKind kind = LayerKind::kConv;
  LayerRole role = LayerRole::kBody;
  int in_channels = 0;
  int out_channels = 0;
  int kernel = 1;
  int stride = 1;
  int padding = 0;
  int in_h = 1, in_w = 1, out_h = 1, out_w = 1;

  /// Number of weights (no bias): I * O * k^2.
  int64_t params() const;
  /// Multiply-accumulates of one forward pass of one sample: M^2 * I * k^2 * O.
  int64_t macs() const;
};

/// Structural shortcut choice. The precision of 1x1 shortcut convs lives in the plan.
enum class ShortcutType {
  kNone,      ///< plain network (VGG default)
  kIdentity,  ///< identity; where shape changes: stride subsampling + zero channel padding
  kConv,      ///< identity; where shape changes: a 1x1 conv (its precision comes from the plan)
};
const char* to_string(ShortcutType type);
ShortcutType shortcut_type_from_string(const std::string& s);  // throws ConfigError

/// Shortcut connection around every `every` convs (1 = "Binary-Shortcut 1" of the PCA paper).
struct ShortcutPolicy {
  ShortcutType type = ShortcutType::kConv;
  int every = 2;
  bool operator==(const ShortcutPolicy& o) const { return type == o.type && every == o.every; }
};

/// What to build: architecture name, width multiplier, data shape and shortcut wiring.
struct ArchConfig {
  std::string name = "resnet20";
  double width = 1.0;
  int in_channels = 3;
  int in_h = 32;
  int in_w = 32;
  int num_classes = 10;
  ShortcutPolicy shortcut;
};

/// A residual unit (or, in a plain network, one conv): main-path layers run in order; when
/// `residual`, the block input reaches the output through layer `shortcut` (-1 = identity).
struct Block {
  std::vector<int> main;
  bool residual = false;
  int shortcut = -1;
  bool pool_after = false;  ///< 2x2 max pool (ceil mode) after the block: VGG stage ends
};

/// Pooling right after the stem conv.
enum class StemPool { kNone, kMax3x3Stride2, kMax2x2 };

struct Architecture {
  ArchConfig config;
  std::vector<LayerSpec> layers;  ///< every weight layer, in forward order, index = position
  int stem = 0;                   ///< index of the first conv
  StemPool stem_pool = StemPool::kNone;
  std::vector<Block> blocks;
  std::vector<int> classifier;  ///< linear layers after global average pooling, in order

  /// Index of the layer called `name`, or -1.
  int find(const std::string& name) const;
  /// Quantizable main-path layers between the stem and the last classifier, in order.
  std::vector<int> body_layers() const;
};

/// Architecture names understood by describe_architecture, for --help and errors.
std::vector<std::string> known_architectures();
/// The default shortcut wiring of an architecture (ResNets: 1x1 conv every two; VGG: none).
ShortcutPolicy default_shortcut(const std::string& arch);
/// Builds the description; throws ConfigError for an unknown name or impossible shape.
Architecture describe_architecture(const ArchConfig& config);

}  // namespace hybridnet::models
