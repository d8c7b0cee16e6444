// Layer tables of the model zoo: CIFAR-style ResNet-N (N = 6n+2), ResNet-18 (Table 1 of the PCA
// paper) and VGG-N (11, 13, 15, 16, 19), for any input size, channel count and class count.
#include "models/architecture.h"

#include <cmath>
#include <map>

#include "models/error.h"

namespace hybridnet::models {

const char* to_string(LayerKind kind) { return kind == LayerKind::kConv ? "conv" : "linear"; }

const char* to_string(LayerRole role) {
  switch (role) {
    case LayerRole::kStem:
      return "stem";
    case LayerRole::kBody:
      return "body";
    case LayerRole::kShortcut:
      return "shortcut";
    case LayerRole::kClassifier:
      return "classifier";
    case LayerRole::kExit:
      return "exit";
  }
  return "?";
}

const char* to_string(ShortcutType type) {
  switch (type) {
    case ShortcutType::kNone:
      return "none";
    case ShortcutType::kIdentity:
      return "identity";
    case ShortcutType::kConv:
      return "conv";
  }
  return "?";
}

ShortcutType shortcut_type_from_string(const std::string& s) {
  if (s == "none") return ShortcutType::kNone;
  if (s == "identity") return ShortcutType::kIdentity;
  if (s == "conv") return ShortcutType::kConv;
  throw ConfigError("unknown shortcut type '" + s + "' (expected none, identity or conv)");
}

int64_t LayerSpec::params() const { return int64_t(in_channels) * out_channels * kernel * kernel; }

int64_t LayerSpec::macs() const { return params() * out_h * out_w; }

int Architecture::find(const std::string& name) const {
  for (const auto& l : layers)
    if (l.name == name) return l.index;
  return -1;
}

std::vector<int> Architecture::body_layers() const {
  std::vector<int> out;
  for (const auto& l : layers)
    if (l.role == LayerRole::kBody) out.push_back(l.index);
  return out;
}

int Architecture::convs_through_block(int b) const {
  int n = 0;
  for (int i = 0; i <= b && i < static_cast<int>(blocks.size()); ++i)
    n += static_cast<int>(blocks[i].main.size());
  return n;
}

int Architecture::block_ending_at(int position) const {
  for (int b = 0; b < static_cast<int>(blocks.size()); ++b)
    if (convs_through_block(b) == position) return b;
  return -1;
}

std::vector<int> Architecture::split_points() const {
  std::vector<int> out;
  for (int b = 0; b + 1 < static_cast<int>(blocks.size()); ++b)
    out.push_back(convs_through_block(b));
  return out;
}

std::string Architecture::split_points_text() const {
  std::string text;
  for (int p : split_points()) text += (text.empty() ? "" : ", ") + std::to_string(p);
  return text;
}

std::vector<int> Architecture::block_layers_through(int last_block) const {
  std::vector<int> out;
  for (int b = 0; b <= last_block && b < static_cast<int>(blocks.size()); ++b) {
    out.insert(out.end(), blocks[b].main.begin(), blocks[b].main.end());
    if (blocks[b].shortcut >= 0) out.push_back(blocks[b].shortcut);
  }
  return out;
}

namespace {

// Appends layers while tracking the current feature-map shape.
class Builder {
 public:
  explicit Builder(Architecture& a)
      : arch_(a), c_(a.config.in_channels), h_(a.config.in_h), w_(a.config.in_w) {}

  int conv(const std::string& name, LayerRole role, int out, int k, int stride, int pad) {
    return conv_from(name, role, c_, h_, w_, out, k, stride, pad, /*advance=*/true);
  }
  // A conv reading a given input shape without advancing the trunk (shortcut convs).
  int conv_from(const std::string& name, LayerRole role, int in_c, int in_h, int in_w, int out,
                int k, int stride, int pad, bool advance) {
    LayerSpec l = spec(name, LayerKind::kConv, role, in_c, out);
    l.kernel = k;
    l.stride = stride;
    l.padding = pad;
    l.in_h = in_h;
    l.in_w = in_w;
    l.out_h = (in_h + 2 * pad - k) / stride + 1;
    l.out_w = (in_w + 2 * pad - k) / stride + 1;
    if (l.out_h < 1 || l.out_w < 1)
      throw ConfigError(arch_.config.name + ": input " + std::to_string(arch_.config.in_h) + "x" +
                        std::to_string(arch_.config.in_w) + " is too small for layer " + name);
    arch_.layers.push_back(l);
    if (advance) {
      c_ = out;
      h_ = l.out_h;
      w_ = l.out_w;
    }
    return l.index;
  }
  int linear(const std::string& name, int in, int out, LayerRole role) {
    arch_.layers.push_back(spec(name, LayerKind::kLinear, role, in, out));
    return arch_.layers.back().index;
  }
  // Max pool: kernel k, stride s, padding p; ceil mode so that 28x28 inputs survive 5 VGG pools.
  void pool(int k, int s, int p, bool ceil_mode) {
    auto out = [&](int in) {
      double v = double(in + 2 * p - k) / s;
      return int(ceil_mode ? std::ceil(v) : std::floor(v)) + 1;
    };
    h_ = out(h_);
    w_ = out(w_);
  }
  int channels() const { return c_; }
  int height() const { return h_; }
  int width() const { return w_; }

 private:
  LayerSpec spec(const std::string& name, LayerKind kind, LayerRole role, int in, int out) const {
    LayerSpec l;
    l.index = static_cast<int>(arch_.layers.size());
    l.name = name;
    l.kind = kind;
    l.role = role;
    l.in_channels = in;
    l.out_channels = out;
    return l;
  }

  Architecture& arch_;
  int c_, h_, w_;
};

int scaled(int base, double width) {
  return std::max(1, static_cast<int>(std::lround(base * width)));
}

// Residual stages shared by both ResNet families: `convs_per_stage` 3x3 convs per stage, the first
// conv of every stage after the first with stride 2, shortcuts around every `every` convs.
void resnet_stages(Architecture& a, Builder& b, const std::vector<int>& widths,
                   int convs_per_stage) {
  const ShortcutPolicy sc = a.config.shortcut;
  const int every = sc.type == ShortcutType::kNone ? 1 : sc.every;
  for (size_t s = 0; s < widths.size(); ++s) {
    const int out = widths[s];
    for (int j = 0, blk = 0; j < convs_per_stage; j += every, ++blk) {
      Block block;
      block.residual = sc.type != ShortcutType::kNone;
      const int in_c = b.channels(), in_h = b.height(), in_w = b.width();
      int block_stride = 1;
      const std::string prefix = "layer" + std::to_string(s + 1) + "." + std::to_string(blk);
      for (int t = 0; t < every && j + t < convs_per_stage; ++t) {
        const int stride = (s > 0 && j + t == 0) ? 2 : 1;
        block_stride *= stride;
        block.main.push_back(
            b.conv(prefix + ".conv" + std::to_string(t + 1), LayerRole::kBody, out, 3, stride, 1));
      }
      if (sc.type == ShortcutType::kConv && (block_stride != 1 || in_c != out))
        block.shortcut = b.conv_from(prefix + ".shortcut", LayerRole::kShortcut, in_c, in_h, in_w,
                                     out, 1, block_stride, 0, /*advance=*/false);
      a.blocks.push_back(block);
    }
  }
}

void build_cifar_resnet(Architecture& a, int depth) {
  Builder b(a);
  const double w = a.config.width;
  a.stem = b.conv("conv1", LayerRole::kStem, scaled(16, w), 3, 1, 1);
  resnet_stages(a, b, {scaled(16, w), scaled(32, w), scaled(64, w)}, (depth - 2) / 3);
  a.classifier = {b.linear("fc", b.channels(), a.config.num_classes, LayerRole::kClassifier)};
}

// ResNet-18 exactly as Table 1 of the PCA paper: 7x7/2 stem, 3x3/2 max pool, 4 stages of 4 convs.
void build_resnet18(Architecture& a) {
  Builder b(a);
  const double w = a.config.width;
  a.stem = b.conv("conv1", LayerRole::kStem, scaled(64, w), 7, 2, 3);
  a.stem_pool = StemPool::kMax3x3Stride2;
  b.pool(3, 2, 1, false);
  resnet_stages(a, b, {scaled(64, w), scaled(128, w), scaled(256, w), scaled(512, w)}, 4);
  a.classifier = {b.linear("fc", b.channels(), a.config.num_classes, LayerRole::kClassifier)};
}

// VGG-N, CIFAR style: 3x3 convs with BN, 2x2 max pool (ceil mode) after each stage, global
// average pool, then the FC layers. Width inflation scales the convs only (FC hidden sizes
// stay fixed: that is what reproduces the hybrid-architectures paper's VGG-19 2x M.C of 10.97).
void build_vgg(Architecture& a, const std::vector<std::vector<int>>& stages,
               const std::vector<int>& hidden) {
  Builder b(a);
  const double w = a.config.width;
  const ShortcutPolicy sc = a.config.shortcut;
  const int every = sc.type == ShortcutType::kNone ? 1 : sc.every;
  int conv_no = 0;
  for (size_t s = 0; s < stages.size(); ++s) {
    std::vector<int> convs = stages[s];
    size_t first = 0;
    if (s == 0) {  // the stem conv stands alone
      a.stem = b.conv("conv" + std::to_string(++conv_no), LayerRole::kStem, scaled(convs[0], w), 3,
                      1, 1);
      first = 1;
      if (convs.size() == 1) {
        a.stem_pool = StemPool::kMax2x2;
        b.pool(2, 2, 0, true);
        continue;
      }
    }
    for (size_t j = first; j < convs.size(); j += every) {
      Block block;
      block.residual = sc.type != ShortcutType::kNone;
      const int in_c = b.channels(), in_h = b.height(), in_w = b.width();
      const int first_no = conv_no + 1;
      for (size_t t = j; t < j + every && t < convs.size(); ++t)
        block.main.push_back(b.conv("conv" + std::to_string(++conv_no), LayerRole::kBody,
                                    scaled(convs[t], w), 3, 1, 1));
      if (sc.type == ShortcutType::kConv && in_c != b.channels())
        block.shortcut =
            b.conv_from("conv" + std::to_string(first_no) + ".shortcut", LayerRole::kShortcut, in_c,
                        in_h, in_w, b.channels(), 1, 1, 0, /*advance=*/false);
      a.blocks.push_back(block);
    }
    a.blocks.back().pool_after = true;
    b.pool(2, 2, 0, true);
  }
  int in = b.channels();
  for (size_t i = 0; i < hidden.size(); ++i) {
    a.classifier.push_back(b.linear("fc" + std::to_string(i + 1), in, hidden[i], LayerRole::kBody));
    in = hidden[i];
  }
  a.classifier.push_back(b.linear("fc" + std::to_string(hidden.size() + 1), in,
                                  a.config.num_classes, LayerRole::kClassifier));
}

const std::map<std::string, std::vector<std::vector<int>>>& vgg_stages() {
  static const std::map<std::string, std::vector<std::vector<int>>> kStages = {
      {"vgg11", {{64}, {128}, {256, 256}, {512, 512}, {512, 512}}},
      {"vgg13", {{64, 64}, {128, 128}, {256, 256}, {512, 512}, {512, 512}}},
      {"vgg15", {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}}},
      {"vgg16", {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}}},
      {"vgg19",
       {{64, 64}, {128, 128}, {256, 256, 256, 256}, {512, 512, 512, 512}, {512, 512, 512, 512}}},
  };
  return kStages;
}

// ResNet-N with N = 6n + 2 >= 8, up to He et al.'s ResNet-1202.
constexpr int kMaxCifarResnetDepth = 1202;
int cifar_resnet_depth(const std::string& name) {
  if (name.rfind("resnet", 0) != 0 || name == "resnet18") return 0;
  const std::string digits = name.substr(6);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  if (digits.size() > 4 || std::stoi(digits) > kMaxCifarResnetDepth)
    throw ConfigError(name + ": deeper than the deepest CIFAR ResNet supported, resnet" +
                      std::to_string(kMaxCifarResnetDepth));
  const int depth = std::stoi(digits);
  return (depth >= 8 && (depth - 2) % 6 == 0) ? depth : 0;
}

// Early exits: FP linear classifiers on pooled block outputs, appended after every other layer
// so that adding exits leaves the indices of the backbone's layers unchanged.
void add_exits(Architecture& a) {
  int previous = 0;
  for (size_t k = 0; k < a.config.exits.size(); ++k) {
    const int position = a.config.exits[k];
    const std::string where = "exit after " + std::to_string(position) + " body layers";
    if (position <= previous)
      throw ConfigError(where + ": exit positions must be positive and ascending");
    const int block = a.block_ending_at(position);
    if (block < 0)
      throw ConfigError(where + ": not at the end of a block of " + a.config.name +
                        " before its last (possible: " + a.split_points_text() + ")");
    if (block + 1 == static_cast<int>(a.blocks.size()))
      throw ConfigError(where + ": that is the end of the network, not an early exit");
    const int channels = a.layers[a.blocks[block].main.back()].out_channels;
    ExitSpec e;
    e.position = position;
    e.after_block = block;
    e.layer = static_cast<int>(a.layers.size());
    LayerSpec l;
    l.index = e.layer;
    l.name = "exit" + std::to_string(k + 1);
    l.kind = LayerKind::kLinear;
    l.role = LayerRole::kExit;
    l.in_channels = channels;
    l.out_channels = a.config.num_classes;
    a.layers.push_back(l);
    a.exits.push_back(e);
    previous = position;
  }
}

}  // namespace

std::vector<std::string> known_architectures() {
  return {"resnet8",  "resnet14", "resnet20", "resnet32", "resnet44", "resnet56",
          "resnet18", "vgg11",    "vgg13",    "vgg15",    "vgg16",    "vgg19"};
}

ShortcutPolicy default_shortcut(const std::string& arch) {
  if (arch.rfind("vgg", 0) == 0) return {ShortcutType::kNone, 2};
  return {ShortcutType::kConv, 2};
}

std::vector<std::pair<int, int>> layers_matched_by_role(const Architecture& from,
                                                        const Architecture& to) {
  std::map<LayerRole, std::vector<int>> source, target;
  for (const auto& l : from.layers) source[l.role].push_back(l.index);
  for (const auto& l : to.layers) target[l.role].push_back(l.index);
  for (LayerRole role : {LayerRole::kStem, LayerRole::kBody, LayerRole::kShortcut,
                         LayerRole::kClassifier, LayerRole::kExit})
    if (source[role].size() != target[role].size())
      throw ConfigError(from.config.name + " and " + to.config.name + " differ in their " +
                        to_string(role) + " layers: " + std::to_string(source[role].size()) +
                        " against " + std::to_string(target[role].size()));
  std::vector<std::pair<int, int>> pairs;
  for (const auto& [role, indices] : source)
    for (size_t i = 0; i < indices.size(); ++i) pairs.emplace_back(indices[i], target[role][i]);
  return pairs;
}

Architecture describe_architecture(const ArchConfig& config) {
  Architecture a;
  a.config = config;
  if (!(config.width > 0.0 && config.width <= 16.0))
    throw ConfigError("width multiplier " + std::to_string(config.width) + " must be in (0, 16]");
  if (config.in_channels < 1 || config.in_h < 1 || config.in_w < 1)
    throw ConfigError("input shape must be positive");
  if (config.num_classes < 2) throw ConfigError("number of classes must be at least 2");
  if (config.shortcut.every != 1 && config.shortcut.every != 2)
    throw ConfigError("shortcut.every must be 1 or 2, not " +
                      std::to_string(config.shortcut.every));
  if (const int depth = cifar_resnet_depth(config.name)) {
    if (config.shortcut.type == ShortcutType::kNone)
      throw ConfigError(config.name + ": ResNets need a shortcut (identity or conv)");
    build_cifar_resnet(a, depth);
  } else if (config.name == "resnet18") {
    if (config.shortcut.type == ShortcutType::kNone)
      throw ConfigError("resnet18: ResNets need a shortcut (identity or conv)");
    build_resnet18(a);
  } else if (auto it = vgg_stages().find(config.name); it != vgg_stages().end()) {
    // VGG-N has N-3 convs and 3 FC layers; VGG-15 of the PCA paper has 13 convs and 2 FC layers
    // (hidden 1024: that reproduces its XNOR M.C of 26.24).
    build_vgg(a, it->second,
              config.name == "vgg15" ? std::vector<int>{1024} : std::vector<int>{4096, 4096});
  } else {
    std::string names;
    for (const auto& n : known_architectures()) names += (names.empty() ? "" : ", ") + n;
    throw ConfigError("unknown architecture '" + config.name + "' (known: " + names +
                      "; any resnetN with N = 6n+2)");
  }
  add_exits(a);
  return a;
}

}  // namespace hybridnet::models
