// The ONNX writer on hand-made weights (no torch, no training): the file's structure, its
// metadata, the sign convention's nodes, and the bit packing of binary and k-bit weights,
// unpacked here by hand. What the graph computes is checked against LibTorch in ONNX Runtime
// by tests/onnx/verify_exports.sh.
#include <onnx/onnx_pb.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "models/error.h"
#include "models/onnx_writer.h"

using namespace hybridnet;
using namespace hybridnet::models;

namespace {

// Weights of the right sizes for every layer of `plan`, drawn from a fixed seed.
NetworkWeights random_weights(const Architecture& arch, const HybridPlan& plan) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> real(-1, 1);
  NetworkWeights out;
  for (const auto& l : arch.layers) {
    const Precision p = plan.precision(l.name);
    LayerWeights w;
    const int64_t per_filter = int64_t(l.in_channels) * l.kernel * l.kernel;
    w.fp_filters = fp_filter_count(p, l.out_channels);
    w.weight_bits = p.weight_bits;
    for (int64_t i = 0; i < w.fp_filters * per_filter; ++i) w.fp_weight.push_back(real(rng));
    const int64_t quantized = l.out_channels - w.fp_filters;
    if (quantized > 0 && p.weight_bits < kFullPrecisionBits) {
      std::uniform_int_distribution<int> code(0, (1 << p.weight_bits) - 1);
      for (int64_t i = 0; i < quantized * per_filter; ++i) w.codes.push_back(uint8_t(code(rng)));
      for (int64_t f = 0; f < quantized; ++f) w.alpha.push_back(0.5f + real(rng) / 4);
    } else {
      for (int64_t i = 0; i < quantized * per_filter; ++i) w.float_weight.push_back(real(rng));
    }
    if (l.kind == LayerKind::kLinear)
      for (int o = 0; o < l.out_channels; ++o) w.bias.push_back(real(rng));
    if (l.role != LayerRole::kStem)
      for (int c = 0; c < l.in_channels; ++c) {
        w.bn_scale.push_back(1 + real(rng) / 2);
        w.bn_shift.push_back(real(rng));
      }
    out.layers.push_back(std::move(w));
  }
  return out;
}

struct Exported {
  HybridPlan plan;
  Architecture arch;
  NetworkWeights weights;
  onnx::ModelProto model;
};

Exported export_plan(const nlohmann::json& plan_json, OnnxPart part = OnnxPart::kWhole) {
  Exported e;
  e.plan = HybridPlan::from_json(plan_json, "test plan");
  e.arch = describe_architecture(e.plan.arch_config(1, 12, 12, 10));
  e.weights = random_weights(e.arch, e.plan);
  OnnxModelInfo info;
  info.normalisation = {{0.25f}, {0.5f}};
  info.class_names = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  info.metadata["dataset"] = "fashion-mnist";
  const std::string bytes = onnx_model(e.arch, e.plan, e.weights, info, part);
  REQUIRE(e.model.ParseFromString(bytes));
  return e;
}

std::map<std::string, std::string> metadata(const onnx::ModelProto& m) {
  std::map<std::string, std::string> out;
  for (const auto& p : m.metadata_props()) out[p.key()] = p.value();
  return out;
}

const onnx::TensorProto* initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

int count_ops(const onnx::ModelProto& m, const std::string& op) {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op;
  return n;
}

// The codes of a packed initializer [bits, bytes, 1]: plane j is bit j, MSB-first in a byte.
std::vector<uint8_t> unpack(const onnx::TensorProto& t, size_t count) {
  const int64_t bits = t.dims(0), bytes = t.dims(1);
  std::vector<uint8_t> codes(count, 0);
  for (int64_t j = 0; j < bits; ++j)
    for (size_t i = 0; i < count; ++i) {
      const auto byte = static_cast<uint8_t>(t.raw_data()[j * bytes + i / 8]);
      codes[i] |= uint8_t(((byte >> (7 - i % 8)) & 1) << j);
    }
  return codes;
}

const nlohmann::json kMixedPlan = {
    {"arch", "resnet8"},
    {"layers",
     {{{"name", "layer1.0.conv2"}, {"weight_bits", 3}, {"input_bits", 2}},
      {{"name", "layer2.0.conv1"}, {"weight_bits", 1}, {"input_bits", 1}, {"fp_fraction", 0.25}},
      {{"name", "layer3.0.conv2"}, {"weight_bits", 1}, {"input_bits", 32}}}}};

}  // namespace

TEST_CASE("onnx writer: an XNOR network is a checked opset-17 model with its metadata",
          "[onnx]") {
  const auto e = export_plan({{"arch", "resnet8"}});
  const auto& g = e.model.graph();
  CHECK(e.model.ir_version() == kOnnxIrVersion);
  REQUIRE(e.model.opset_import_size() == 1);
  CHECK(e.model.opset_import(0).domain().empty());
  CHECK(e.model.opset_import(0).version() == 17);
  REQUIRE(g.input_size() == 1);
  CHECK(g.input(0).name() == "input");
  const auto& in_shape = g.input(0).type().tensor_type().shape();
  REQUIRE(in_shape.dim_size() == 4);
  CHECK(in_shape.dim(0).dim_param() == "N");
  CHECK(in_shape.dim(1).dim_value() == 1);
  CHECK(in_shape.dim(2).dim_value() == 12);
  REQUIRE(g.output_size() == 1);
  CHECK(g.output(0).name() == "logits");
  CHECK(g.output(0).type().tensor_type().shape().dim(1).dim_value() == 10);

  const auto meta = metadata(e.model);
  CHECK(meta.at("plan_hash") == e.plan.hash());
  CHECK(nlohmann::json::parse(meta.at("architecture")).at("arch") == "resnet8");
  CHECK(nlohmann::json::parse(meta.at("classes")).size() == 10);
  CHECK(meta.at("input_shape") == "[-1,1,12,12]");
  CHECK(nlohmann::json::parse(meta.at("normalisation")).at("std")[0] == 0.5);
  CHECK(meta.at("hybridnet_version") == hybridnet_version());
  CHECK(meta.at("part") == "whole");
  CHECK(meta.at("dataset") == "fashion-mnist");

  // The sign of training (sign(0) = +1) is GreaterOrEqual + Where, never ONNX's Sign (Sign(0) =
  // 0): one per binary-input layer (every layer but the stem and the classifier).
  CHECK(count_ops(e.model, "Sign") == 0);
  int binary_inputs = 0;
  for (const auto& l : e.arch.layers) binary_inputs += e.plan.precision(l.name).input_bits == 1;
  CHECK(binary_inputs == 8);
  CHECK(count_ops(e.model, "GreaterOrEqual") == binary_inputs);
  CHECK(count_ops(e.model, "Where") == binary_inputs);
  // The normalisation is inside the graph: its first nodes.
  CHECK(g.node(0).op_type() == "Sub");
  CHECK(g.node(1).op_type() == "Div");
}

TEST_CASE("onnx writer: binary and k-bit weights are stored as bit-planes that unpack to the codes",
          "[onnx]") {
  const auto e = export_plan(kMixedPlan);
  size_t packed_bytes = 0, weights_bits = 0;  // over the mixed plan's quantized layers
  for (const auto& l : e.arch.layers) {
    const auto& w = e.weights.layers[l.index];
    const auto* bits = initializer(e.model, "l" + std::to_string(l.index) + ".bits");
    if (w.codes.empty()) {
      CHECK(bits == nullptr);
      continue;
    }
    INFO(l.name);
    REQUIRE(bits != nullptr);
    CHECK(bits->data_type() == onnx::TensorProto::UINT8);
    CHECK(bits->dims(0) == w.weight_bits);
    CHECK(bits->dims(1) == int64_t((w.codes.size() + 7) / 8));
    CHECK(unpack(*bits, w.codes.size()) == w.codes);
    packed_bytes += bits->raw_data().size();
    weights_bits += w.codes.size() * w.weight_bits;
    // k bits per weight, each plane rounded up to whole bytes.
    CHECK(bits->raw_data().size() == w.weight_bits * ((w.codes.size() + 7) / 8));
  }
  CHECK(packed_bytes * 8 >= weights_bits);
  CHECK(packed_bytes * 8 < weights_bits + 64);
  // The sectioned layer keeps its 8 FP filters (0.25 of 32) as floats, and concatenates them
  // with its binary filters' outputs.
  const int sectioned = e.arch.find("layer2.0.conv1");
  const auto* fp = initializer(e.model, "l" + std::to_string(sectioned) + ".w");
  REQUIRE(fp != nullptr);
  CHECK(fp->dims(0) == 8);
  CHECK(fp->data_type() == onnx::TensorProto::FLOAT);
  CHECK(count_ops(e.model, "Concat") == 1);
  CHECK(count_ops(e.model, "Floor") >= 1);  // q_k of the 2-bit input
}

TEST_CASE("onnx writer: an edge-cloud network splits into an edge and a cloud part", "[onnx]") {
  const nlohmann::json plan = {{"arch", "resnet8"},
                               {"edge_cloud", {{"edge_layers", 2}, {"exits", {2}}}}};
  const auto edge = export_plan(plan, OnnxPart::kEdge);
  const auto& eg = edge.model.graph();
  REQUIRE(eg.output_size() == 2);
  CHECK(eg.output(0).name() == "features");
  CHECK(eg.output(1).name() == "exit1_logits");
  const auto& features = eg.output(0).type().tensor_type().shape();
  CHECK(features.dim(1).dim_value() == 16);
  CHECK(features.dim(2).dim_value() == 12);
  CHECK(metadata(edge.model).at("part") == "edge");

  const auto cloud = export_plan(plan, OnnxPart::kCloud);
  const auto& cg = cloud.model.graph();
  REQUIRE(cg.input_size() == 1);
  CHECK(cg.input(0).name() == "features");
  CHECK(cg.output(0).name() == "logits");
  CHECK(count_ops(cloud.model, "Sub") == 0);  // no normalisation: it gets a feature map

  const auto whole = export_plan(plan);
  REQUIRE(whole.model.graph().output_size() == 2);
  CHECK(whole.model.graph().output(1).name() == "exit1_logits");
  // The parts hold the network's nodes between them (the cloud has no normalisation and no
  // exit; the edge no head).
  CHECK(eg.node_size() + cg.node_size() == whole.model.graph().node_size());
}

TEST_CASE("onnx writer: wrong weights or parts are errors", "[onnx]") {
  auto plan = HybridPlan::from_json({{"arch", "resnet8"}}, "plan");
  const auto arch = describe_architecture(plan.arch_config(1, 12, 12, 10));
  auto weights = random_weights(arch, plan);
  CHECK_THROWS_AS(onnx_model(arch, plan, weights, {}, OnnxPart::kEdge), ConfigError);
  weights.layers[3].codes.pop_back();
  CHECK_THROWS_WITH(onnx_model(arch, plan, weights, {}, OnnxPart::kWhole),
                    "onnx export: layer layer2.0.conv1: codes has 4607 values, expected 4608");
  weights = random_weights(arch, plan);
  weights.layers[2].codes[0] = 2;
  CHECK_THROWS_AS(onnx_model(arch, plan, weights, {}, OnnxPart::kWhole), ConfigError);
  weights.layers.pop_back();
  CHECK_THROWS_AS(onnx_model(arch, plan, weights, {}, OnnxPart::kWhole), ConfigError);
}
