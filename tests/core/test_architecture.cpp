// Layer tables of the model zoo: counts, names, shapes (ResNet-18 against Table 1 of the PCA
// paper).
#include <catch2/catch.hpp>

#include "models/architecture.h"
#include "models/error.h"

using namespace hybridnet::models;

namespace {
Architecture describe(const std::string& name, int hw = 32, int c = 3, ShortcutPolicy sc = {}) {
  ArchConfig a;
  a.name = name;
  a.in_h = a.in_w = hw;
  a.in_channels = c;
  a.shortcut = sc;
  if (name.rfind("vgg", 0) == 0 && sc.type == ShortcutType::kConv && sc.every == 2)
    a.shortcut = default_shortcut(name);
  return describe_architecture(a);
}
int count(const Architecture& a, LayerRole role) {
  int n = 0;
  for (const auto& l : a.layers) n += l.role == role;
  return n;
}
}  // namespace

TEST_CASE("ResNet-N has N-1 convs, one FC and two 1x1 shortcut convs", "[models][arch]") {
  const int depth = GENERATE(8, 14, 20, 32, 44, 56);
  const auto a = describe("resnet" + std::to_string(depth));
  CHECK(count(a, LayerRole::kStem) == 1);
  CHECK(count(a, LayerRole::kBody) == depth - 2);
  CHECK(count(a, LayerRole::kShortcut) == 2);
  CHECK(count(a, LayerRole::kClassifier) == 1);
  CHECK(a.blocks.size() == size_t((depth - 2) / 2));
  CHECK(a.layers.back().in_channels == 64);
}

TEST_CASE("ResNet-20 layer names and feature-map sizes for 32x32 and 28x28", "[models][arch]") {
  auto a = describe("resnet20");
  REQUIRE(a.find("layer2.0.conv1") >= 0);
  const auto& l = a.layers[a.find("layer2.0.conv1")];
  CHECK(l.stride == 2);
  CHECK(l.in_h == 32);
  CHECK(l.out_h == 16);
  CHECK(a.layers[a.find("layer3.0.shortcut")].out_channels == 64);
  CHECK(a.layers[a.find("layer3.2.conv2")].out_h == 8);
  auto m = describe("resnet20", 28, 1);
  CHECK(m.layers[m.find("conv1")].in_channels == 1);
  CHECK(m.layers[m.find("layer3.2.conv2")].out_h == 7);
  // MACs of a 3x3 16->16 conv on 32x32: 32*32*16*9*16
  CHECK(a.layers[a.find("layer1.0.conv1")].macs() == 32LL * 32 * 16 * 9 * 16);
}

TEST_CASE("a shortcut around every conv gives one block per conv", "[models][arch]") {
  auto a = describe("resnet20", 32, 3, {ShortcutType::kConv, 1});
  CHECK(a.blocks.size() == 18);
  CHECK(a.find("layer2.0.shortcut") >= 0);
  auto id = describe("resnet20", 32, 3, {ShortcutType::kIdentity, 2});
  CHECK(count(id, LayerRole::kShortcut) == 0);
}

TEST_CASE("ResNet-18 follows Table 1 of the PCA paper", "[models][arch]") {
  auto a = describe("resnet18", 224);
  CHECK(a.layers[0].kernel == 7);
  CHECK(a.layers[0].stride == 2);
  CHECK(a.stem_pool == StemPool::kMax3x3Stride2);
  std::vector<int> widths, strides;
  for (const auto& l : a.layers)
    if (l.role == LayerRole::kBody) {
      widths.push_back(l.out_channels);
      strides.push_back(l.stride);
    }
  CHECK(widths == std::vector<int>{64, 64, 64, 64, 128, 128, 128, 128, 256, 256, 256, 256, 512, 512,
                                   512, 512});
  CHECK(strides == std::vector<int>{1, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1});
  CHECK(a.layers[a.find("layer4.1.conv2")].out_h == 7);
  CHECK(a.layers.back().in_channels == 512);
}

TEST_CASE("VGG-N has N-3 convs and 3 FC layers, VGG-15 has 13 convs and 2", "[models][arch]") {
  auto [name, convs, fcs] =
      GENERATE(std::make_tuple("vgg11", 8, 3), std::make_tuple("vgg13", 10, 3),
               std::make_tuple("vgg15", 13, 2), std::make_tuple("vgg16", 13, 3),
               std::make_tuple("vgg19", 16, 3));
  for (int hw : {32, 28}) {
    auto a = describe(name, hw, hw == 28 ? 1 : 3);
    int c = 0, f = 0;
    for (const auto& l : a.layers) (l.kind == LayerKind::kConv ? c : f)++;
    CHECK(c == convs);
    CHECK(f == fcs);
    CHECK(a.layers[a.classifier[0]].in_channels == 512);
  }
}

TEST_CASE("bad architecture requests are ConfigErrors", "[models][arch]") {
  CHECK_THROWS_AS(describe("resnet21"), hybridnet::ConfigError);
  CHECK_THROWS_WITH(describe("lenet"), Catch::Contains("unknown architecture 'lenet'"));
  CHECK_THROWS_AS(describe("resnet20", 32, 3, {ShortcutType::kNone, 2}), hybridnet::ConfigError);
  CHECK_THROWS_WITH(describe("resnet20", 0), Catch::Contains("input shape must be positive"));
}
