// Static description of a network: its weight layers (LayerSpec) and how they are wired (blocks,
// shortcuts, pools). Derived from the architecture name and shape without running anything; the
// cost model, `hybridnet arch`, plan validation and the torch builder all read this one
// description, so they cannot disagree about which layers exist.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hybridnet::models {

enum class LayerKind { kConv, kLinear };
/// Where a layer sits: the papers keep the stem (first conv) and classifier FP by default. An
/// exit is the FP classifier of an early exit (edge-cloud paper), off the main path.
enum class LayerRole { kStem, kBody, kShortcut, kClassifier, kExit };

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
  /// Early exits, each after this many main-path body convs (at a block end), ascending.
  std::vector<int> exits;
};

/// A residual unit (or, in a plain network, one conv): main-path layers run in order; when
/// `residual`, the block input reaches the output through layer `shortcut` (-1 = identity).
struct Block {
  std::vector<int> main;
  bool residual = false;
  int shortcut = -1;
  bool pool_after = false;  ///< 2x2 max pool (ceil mode) after the block: VGG stage ends
};

/// An early exit (edge-cloud paper): global average pooling of block `after_block`'s output,
/// then the FP linear classifier `layer` (role kExit). `position` = main-path body convs before
/// it.
struct ExitSpec {
  int position = 0;
  int after_block = 0;
  int layer = 0;
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
  std::vector<ExitSpec> exits;  ///< early exits in forward order; their layers come last

  /// Index of the layer called `name`, or -1.
  int find(const std::string& name) const;
  /// Quantizable main-path layers between the stem and the last classifier, in order.
  std::vector<int> body_layers() const;

  /// Main-path body convs up to and including block b (the position of an exit after it).
  int convs_through_block(int b) const;
  /// Block after which `position` main-path body convs are done; -1 when no block ends there.
  int block_ending_at(int position) const;
  /// Body-conv counts at the end of every block but the last: where an edge split or an early
  /// exit may go.
  std::vector<int> split_points() const;
  /// split_points() as "2, 4, 6", for error messages.
  std::string split_points_text() const;
  /// The main-path and shortcut layers of blocks 0..last_block (none for -1).
  std::vector<int> block_layers_through(int last_block) const;
};

/// Architecture names understood by describe_architecture, for --help and errors.
std::vector<std::string> known_architectures();
/// The default shortcut wiring of an architecture (ResNets: 1x1 conv every two; VGG: none).
ShortcutPolicy default_shortcut(const std::string& arch);
/// Builds the description; throws ConfigError for an unknown name or impossible shape.
/// The layers of `to` paired with those of `from` by role and position within the role, as
/// (index in from, index in to): the same network wired otherwise (shortcuts every other
/// number of convs) has the same layers under other names. ConfigError when a role's counts
/// differ.
std::vector<std::pair<int, int>> layers_matched_by_role(const Architecture& from,
                                                        const Architecture& to);

Architecture describe_architecture(const ArchConfig& config);

}  // namespace hybridnet::models
