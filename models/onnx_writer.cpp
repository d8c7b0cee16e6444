// The ONNX graph of a HybridNet, node by node in the order of HybridNetImpl::forward_exits
// (models/network.cpp): the two must stay in step, and tests/onnx checks they do by running
// both on the same images.
#include "models/onnx_writer.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/error.h"

#ifndef HYBRIDNET_VERSION
#define HYBRIDNET_VERSION "unknown"
#endif

namespace hybridnet::models {

const char* hybridnet_version() { return HYBRIDNET_VERSION; }

const char* to_string(OnnxPart part) {
  switch (part) {
    case OnnxPart::kWhole:
      return "whole";
    case OnnxPart::kEdge:
      return "edge";
    case OnnxPart::kCloud:
      return "cloud";
  }
  return "?";
}

namespace {

using Shape = std::vector<int64_t>;

// Appends nodes and initializers to a graph, naming every value uniquely; constants shared by
// many layers (0, 1, the bit shifts) are added once.
class GraphWriter {
 public:
  explicit GraphWriter(onnx::GraphProto& g) : g_(g) {}

  std::string floats(const std::string& name, const Shape& shape, const std::vector<float>& v) {
    auto* t = initializer(name, shape, onnx::TensorProto::FLOAT);
    t->mutable_raw_data()->assign(reinterpret_cast<const char*>(v.data()), v.size() * 4);
    return t->name();
  }
  std::string bytes(const std::string& name, const Shape& shape, const std::vector<uint8_t>& v) {
    auto* t = initializer(name, shape, onnx::TensorProto::UINT8);
    t->mutable_raw_data()->assign(reinterpret_cast<const char*>(v.data()), v.size());
    return t->name();
  }
  std::string int64s(const std::string& name, const std::vector<int64_t>& v) {
    auto* t = initializer(name, {static_cast<int64_t>(v.size())}, onnx::TensorProto::INT64);
    for (int64_t x : v) t->add_int64_data(x);
    return t->name();
  }
  // A float scalar shared by the whole graph.
  std::string scalar(float v) {
    std::ostringstream key;
    key << "c" << v;
    auto it = constants_.find(key.str());
    if (it != constants_.end()) return it->second;
    return constants_[key.str()] = floats(key.str(), {}, {v});
  }
  std::string shared_bytes(const std::string& name, const std::vector<uint8_t>& v) {
    auto it = constants_.find(name);
    if (it != constants_.end()) return it->second;
    return constants_[name] = bytes(name, {static_cast<int64_t>(v.size())}, v);
  }

  // A node of `op` on `inputs`; returns its one output, called `out` (made unique).
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& out) {
    auto* n = g_.add_node();
    n->set_op_type(op);
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(unique(out));
    return n;
  }
  std::string op(const std::string& op, const std::vector<std::string>& inputs,
                 const std::string& out) {
    return node(op, inputs, out)->output(0);
  }

  static void attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }

  // Renames the value `from` (a node output) to `to`: graph outputs carry fixed names.
  void rename_value(const std::string& from, const std::string& to) {
    if (names_.count(to)) throw ConfigError("onnx export: the name " + to + " is taken");
    for (auto& n : *g_.mutable_node()) {
      for (auto& o : *n.mutable_output())
        if (o == from) o = to;
      for (auto& i : *n.mutable_input())
        if (i == from) i = to;
    }
    names_[to] = 1;
  }

  std::string unique(const std::string& base) {
    int& count = names_[base];
    return count++ == 0 ? base : base + "_" + std::to_string(count - 1);
  }

 private:
  onnx::TensorProto* initializer(const std::string& name, const Shape& shape, int type) {
    auto* t = g_.add_initializer();
    t->set_name(unique(name));
    t->set_data_type(type);
    for (int64_t d : shape) t->add_dims(d);
    return t;
  }

  onnx::GraphProto& g_;
  std::map<std::string, int> names_;
  std::map<std::string, std::string> constants_;
};

void add_value_info(onnx::ValueInfoProto* v, const std::string& name, const Shape& dims) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = t->mutable_shape();
  shape->add_dim()->set_dim_param("N");
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

// Emits the network's layers; mirrors HybridNetImpl (network.cpp, quant_layers.cpp).
class NetworkEmitter {
 public:
  NetworkEmitter(GraphWriter& g, const Architecture& arch, const HybridPlan& plan,
                 const NetworkWeights& weights)
      : g_(g), arch_(arch), plan_(plan), weights_(weights) {}

  // BN -> (activation or quantizer) -> layer, as HybridNetImpl::unit.
  std::string unit(int index, const std::string& x) {
    const LayerSpec& l = arch_.layers[index];
    const LayerWeights& w = weights_.layers[index];
    const std::string p = "l" + std::to_string(index);
    std::string in = x;
    if (!w.bn_scale.empty()) {
      const Shape shape = l.kind == LayerKind::kConv ? Shape{l.in_channels, 1, 1}
                                                     : Shape{l.in_channels};
      in = g_.op("Mul", {in, g_.floats(p + ".bn_scale", shape, w.bn_scale)}, p + ".bn_mul");
      in = g_.op("Add", {in, g_.floats(p + ".bn_shift", shape, w.bn_shift)}, p + ".bn");
    }
    return layer(l, w, plan_.precision(l.name), in, p);
  }

  // The sectioned layer (quant_layers.cpp sectioned_forward).
  std::string layer(const LayerSpec& l, const LayerWeights& w, const Precision& precision,
                    const std::string& in, const std::string& p) {
    const bool main_path = l.role == LayerRole::kBody || l.role == LayerRole::kClassifier ||
                           l.role == LayerRole::kExit;
    std::string fp_input;
    auto fp_in = [&] {
      if (fp_input.empty()) fp_input = main_path ? g_.op("Relu", {in}, p + ".relu") : in;
      return fp_input;
    };
    const int out = l.out_channels;
    std::vector<std::string> parts;
    if (w.fp_filters > 0)
      parts.push_back(apply(l, fp_in(), fp_weight(l, w, p), p + (w.fp_filters < out ? ".fp" : "")));
    if (w.fp_filters < out) {
      const std::string q_in = precision.input_bits >= kFullPrecisionBits
                                   ? fp_in()
                                   : quantize_input(in, precision.input_bits, p);
      parts.push_back(apply(l, q_in, quantized_weight(l, w, p), p + (w.fp_filters > 0 ? ".q" : "")));
    }
    std::string y = parts.size() == 1 ? parts[0] : concat(parts, p + ".cat");
    if (l.kind == LayerKind::kLinear)
      y = g_.op("Add", {y, g_.floats(p + ".bias", {out}, w.bias)}, p + ".out");
    return y;
  }

  std::string stem_pool(const std::string& x) {
    if (arch_.stem_pool == StemPool::kMax3x3Stride2) return max_pool(x, 3, 2, 1, false, "stem.pool");
    if (arch_.stem_pool == StemPool::kMax2x2) return max_pool(x, 2, 2, 0, true, "stem.pool");
    return x;
  }

  // Block b (HybridNetImpl::forward_exits); `logits` gets the logits of exits after it.
  std::string block(int b, const std::string& x, std::vector<std::string>& exit_logits) {
    const Block& blk = arch_.blocks[b];
    std::string y = x;
    for (int i : blk.main) y = unit(i, y);
    if (blk.residual) {
      const std::string s = blk.shortcut >= 0 ? unit(blk.shortcut, x) : identity_shortcut(b, x);
      y = g_.op("Add", {y, s}, "b" + std::to_string(b) + ".add");
    }
    if (blk.pool_after) y = max_pool(y, 2, 2, 0, true, "b" + std::to_string(b) + ".pool");
    for (const auto& e : arch_.exits)
      if (e.after_block == b) exit_logits.push_back(unit(e.layer, pooled(y, "exit")));
    return y;
  }

  std::string head(const std::string& x) {
    std::string y = pooled(x, "head");
    for (int i : arch_.classifier) y = unit(i, y);
    return y;
  }

  // Channels, height and width of block b's output (after its pool).
  Shape block_output_shape(int b) const {
    const LayerSpec& last = arch_.layers[arch_.blocks[b].main.back()];
    Shape s{last.out_channels, last.out_h, last.out_w};
    if (arch_.blocks[b].pool_after)
      for (int k = 1; k <= 2; ++k) s[k] = (s[k] - 2 + 1) / 2 + 1;  // 2x2/2, ceil mode
    return s;
  }

 private:
  std::string apply(const LayerSpec& l, const std::string& in, const std::string& weight,
                    const std::string& name) {
    if (l.kind == LayerKind::kLinear) {
      auto* n = g_.node("Gemm", {in, weight}, name);
      GraphWriter::attr(n, "transB", int64_t{1});
      return n->output(0);
    }
    auto* n = g_.node("Conv", {in, weight}, name);
    GraphWriter::attr(n, "kernel_shape", Shape{l.kernel, l.kernel});
    GraphWriter::attr(n, "strides", Shape{l.stride, l.stride});
    GraphWriter::attr(n, "pads", Shape{l.padding, l.padding, l.padding, l.padding});
    return n->output(0);
  }

  static Shape weight_shape(const LayerSpec& l, int64_t filters) {
    if (l.kind == LayerKind::kLinear) return {filters, l.in_channels};
    return {filters, l.in_channels, l.kernel, l.kernel};
  }

  std::string fp_weight(const LayerSpec& l, const LayerWeights& w, const std::string& p) {
    return g_.floats(p + ".w", weight_shape(l, w.fp_filters), w.fp_weight);
  }

  // alpha * q(codes) from the packed bit-planes, or the float weights of an A-bit-only layer.
  std::string quantized_weight(const LayerSpec& l, const LayerWeights& w, const std::string& p) {
    const int64_t filters = l.out_channels - w.fp_filters;
    const Shape shape = weight_shape(l, filters);
    if (w.weight_bits >= kFullPrecisionBits) return g_.floats(p + ".wq", shape, w.float_weight);
    const int bits = w.weight_bits;
    const int64_t count = static_cast<int64_t>(w.codes.size());
    const int64_t bytes = (count + 7) / 8;
    // Plane j holds bit j of every code; code i sits in byte i / 8 at bit 7 - i % 8 (the order
    // of numpy.packbits).
    std::vector<uint8_t> planes(static_cast<size_t>(bits * bytes), 0);
    for (int j = 0; j < bits; ++j)
      for (int64_t i = 0; i < count; ++i)
        if ((w.codes[i] >> j) & 1) planes[j * bytes + i / 8] |= uint8_t(0x80 >> (i % 8));
    const std::string packed = g_.bytes(p + ".bits", {bits, bytes, 1}, planes);
    const std::string shifts = g_.shared_bytes("shifts", {7, 6, 5, 4, 3, 2, 1, 0});
    const std::string two = g_.shared_bytes("two", {2});
    auto* shift = g_.node("BitShift", {packed, shifts}, p + ".shift");
    GraphWriter::attr(shift, "direction", std::string("RIGHT"));
    const std::string bit = g_.op("Mod", {shift->output(0), two}, p + ".bit");
    auto* cast = g_.node("Cast", {bit}, p + ".bitf");
    GraphWriter::attr(cast, "to", int64_t{onnx::TensorProto::FLOAT});
    std::string codes = g_.op("Reshape", {cast->output(0), g_.int64s(p + ".planes", {bits, bytes * 8})},
                              p + ".plane");
    if (bits > 1) {
      std::vector<float> place(bits);
      for (int j = 0; j < bits; ++j) place[j] = float(1 << j);
      codes = g_.op("MatMul", {g_.floats(p + ".place", {1, bits}, place), codes}, p + ".code");
    }
    if (bytes * 8 != count) {
      codes = g_.op("Reshape", {codes, g_.int64s(p + ".flat", {bytes * 8})}, p + ".flat");
      codes = g_.op("Slice", {codes, g_.int64s(p + ".from", {0}), g_.int64s(p + ".to", {count})},
                    p + ".used");
    }
    codes = g_.op("Reshape", {codes, g_.int64s(p + ".shape", shape)}, p + ".codes");
    // q = 2 (c / n - 1/2), the float operations of qk_from_codes in its order.
    const float n = float((1 << bits) - 1);
    if (bits > 1) codes = g_.op("Div", {codes, g_.scalar(n)}, p + ".cn");
    std::string q = g_.op("Sub", {codes, g_.scalar(0.5f)}, p + ".ch");
    q = g_.op("Mul", {g_.scalar(2.0f), q}, p + ".q");
    Shape alpha_shape(shape.size(), 1);
    alpha_shape[0] = filters;
    return g_.op("Mul", {g_.floats(p + ".alpha", alpha_shape, w.alpha), q}, p + ".wq");
  }

  // quantizer.cpp: sign with sign(0) = +1; q_k(clamp(x, -1, 1)) in its float operations' order.
  std::string quantize_input(const std::string& x, int bits, const std::string& p) {
    if (bits == 1) {
      const std::string ge = g_.op("GreaterOrEqual", {x, g_.scalar(0.0f)}, p + ".ge0");
      return g_.op("Where", {ge, g_.scalar(1.0f), g_.scalar(-1.0f)}, p + ".sign");
    }
    const float n = float((1 << bits) - 1);
    std::string y = g_.op("Clip", {x, g_.scalar(-1.0f), g_.scalar(1.0f)}, p + ".clip");
    y = g_.op("Add", {y, g_.scalar(1.0f)}, p + ".qa");
    y = g_.op("Mul", {g_.scalar(n), y}, p + ".qb");
    y = g_.op("Div", {y, g_.scalar(2.0f)}, p + ".qc");
    y = g_.op("Add", {y, g_.scalar(0.5f)}, p + ".qd");
    y = g_.op("Floor", {y}, p + ".qe");
    y = g_.op("Div", {y, g_.scalar(n)}, p + ".qf");
    y = g_.op("Sub", {y, g_.scalar(0.5f)}, p + ".qg");
    return g_.op("Mul", {g_.scalar(2.0f), y}, p + ".qk");
  }

  std::string concat(const std::vector<std::string>& parts, const std::string& name) {
    auto* n = g_.node("Concat", parts, name);
    GraphWriter::attr(n, "axis", int64_t{1});
    return n->output(0);
  }

  std::string max_pool(const std::string& x, int64_t k, int64_t s, int64_t pad, bool ceil,
                       const std::string& name) {
    auto* n = g_.node("MaxPool", {x}, name);
    GraphWriter::attr(n, "kernel_shape", Shape{k, k});
    GraphWriter::attr(n, "strides", Shape{s, s});
    GraphWriter::attr(n, "pads", Shape{pad, pad, pad, pad});
    if (ceil) GraphWriter::attr(n, "ceil_mode", int64_t{1});
    return n->output(0);
  }

  std::string pooled(const std::string& x, const std::string& name) {
    auto* n = g_.node("Flatten", {g_.op("GlobalAveragePool", {x}, name + ".gap")}, name + ".flat");
    GraphWriter::attr(n, "axis", int64_t{1});
    return n->output(0);
  }

  // network.cpp identity_shortcut: subsample by the stride, then zero-pad channels.
  std::string identity_shortcut(int b, const std::string& x) {
    const Block& blk = arch_.blocks[b];
    const LayerSpec& first = arch_.layers[blk.main.front()];
    const LayerSpec& last = arch_.layers[blk.main.back()];
    const std::string p = "b" + std::to_string(b) + ".id";
    std::string s = x;
    const int64_t step = (first.in_h + last.out_h - 1) / last.out_h;
    if (step > 1)
      s = g_.op("Slice",
                {s, g_.int64s(p + ".from", {0, 0}), g_.int64s(p + ".to", {INT64_MAX, INT64_MAX}),
                 g_.int64s(p + ".axes", {2, 3}), g_.int64s(p + ".steps", {step, step})},
                p + ".sub");
    const int64_t missing = last.out_channels - first.in_channels;
    if (missing > 0)
      s = g_.op("Pad", {s, g_.int64s(p + ".pads", {0, 0, 0, 0, 0, missing, 0, 0})}, p + ".pad");
    return s;
  }

  GraphWriter& g_;
  const Architecture& arch_;
  const HybridPlan& plan_;
  const NetworkWeights& weights_;
};

// The weights must be those of the plan's layers: a mismatch would be a wrong network, not an
// error ONNX's checker sees.
void check_layer_weights(const LayerSpec& l, const LayerWeights& w, const Precision& p) {
  const int64_t per_filter = int64_t(l.in_channels) * l.kernel * l.kernel;
  const int64_t quantized = l.out_channels - w.fp_filters;
  auto expect = [&](const char* what, size_t size, int64_t wanted) {
    if (static_cast<int64_t>(size) != wanted)
      throw ConfigError("onnx export: layer " + l.name + ": " + what + " has " +
                        std::to_string(size) + " values, expected " + std::to_string(wanted));
  };
  if (w.fp_filters != fp_filter_count(p, l.out_channels))
    throw ConfigError("onnx export: layer " + l.name + ": " + std::to_string(w.fp_filters) +
                      " FP filters, the plan's precision " + p.label() + " has " +
                      std::to_string(fp_filter_count(p, l.out_channels)));
  expect("fp_weight", w.fp_weight.size(), w.fp_filters * per_filter);
  const bool codes = quantized > 0 && p.weight_bits < kFullPrecisionBits;
  if (codes && w.weight_bits != p.weight_bits)
    throw ConfigError("onnx export: layer " + l.name + ": weights of " +
                      std::to_string(w.weight_bits) + " bits, the plan says " +
                      std::to_string(p.weight_bits));
  expect("codes", w.codes.size(), codes ? quantized * per_filter : 0);
  expect("alpha", w.alpha.size(), codes ? quantized : 0);
  expect("float_weight", w.float_weight.size(), codes ? 0 : quantized * per_filter);
  const int n = (1 << std::min(w.weight_bits, 8)) - 1;
  for (uint8_t c : w.codes)
    if (c > n) throw ConfigError("onnx export: layer " + l.name + ": a code above " + std::to_string(n));
  expect("bias", w.bias.size(), l.kind == LayerKind::kLinear ? l.out_channels : 0);
  const int64_t bn = l.role == LayerRole::kStem ? 0 : l.in_channels;
  expect("bn_scale", w.bn_scale.size(), bn);
  expect("bn_shift", w.bn_shift.size(), bn);
}

void add_metadata(onnx::ModelProto& m, const std::string& key, const std::string& value) {
  auto* p = m.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

}  // namespace

std::string onnx_model(const Architecture& arch, const HybridPlan& plan,
                       const NetworkWeights& weights, const OnnxModelInfo& info, OnnxPart part) {
  if (weights.layers.size() != arch.layers.size())
    throw ConfigError("onnx export: " + std::to_string(weights.layers.size()) +
                      " layers of weights for an architecture of " +
                      std::to_string(arch.layers.size()));
  for (const auto& l : arch.layers)
    check_layer_weights(l, weights.layers[l.index], plan.precision(l.name));
  const int blocks = static_cast<int>(arch.blocks.size());
  const int split = plan.edge_layers > 0 ? arch.block_ending_at(plan.edge_layers) : -1;
  if (part != OnnxPart::kWhole && split < 0)
    throw ConfigError("onnx export: the " + std::string(to_string(part)) +
                      " part needs an edge-cloud network (a plan with edge_layers)");

  onnx::ModelProto model;
  model.set_ir_version(kOnnxIrVersion);
  model.set_producer_name("hybridnet");
  model.set_producer_version(hybridnet_version());
  model.set_domain("hybridnet");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  auto& graph = *model.mutable_graph();
  graph.set_name(plan.arch + "-" + plan.hash() + (part == OnnxPart::kWhole ? "" : std::string("-") + to_string(part)));
  GraphWriter g(graph);
  NetworkEmitter net(g, arch, plan, weights);
  const ArchConfig& c = arch.config;
  std::vector<std::string> exits;
  std::string x;
  int first_block = 0, last_block = blocks - 1;
  if (part == OnnxPart::kCloud) {
    const Shape features = net.block_output_shape(split);
    add_value_info(graph.add_input(), "features", features);
    x = "features";
    g.unique(x);
    first_block = split + 1;
  } else {
    add_value_info(graph.add_input(), "input", {c.in_channels, c.in_h, c.in_w});
    x = "input";
    g.unique(x);
    if (!info.normalisation.empty()) {
      const Shape shape{1, c.in_channels, 1, 1};
      x = g.op("Sub", {x, g.floats("norm.mean", shape, info.normalisation.mean)}, "norm.sub");
      x = g.op("Div", {x, g.floats("norm.std", shape, info.normalisation.std)}, "normalised");
    }
    x = net.stem_pool(net.unit(arch.stem, x));
    if (part == OnnxPart::kEdge) last_block = split;
  }
  for (int b = first_block; b <= last_block; ++b) x = net.block(b, x, exits);

  std::vector<std::pair<std::string, std::string>> outputs;  // value, output name
  if (part == OnnxPart::kEdge) {
    outputs.push_back({x, "features"});
  } else {
    outputs.push_back({net.head(x), "logits"});
  }
  for (size_t k = 0; k < exits.size(); ++k)
    outputs.push_back({exits[k], "exit" + std::to_string(k + 1) + "_logits"});
  for (const auto& [value, name] : outputs) {
    if (value == "input" || value == "features")  // an output that is the input: copy it
      throw ConfigError("onnx export: the " + std::string(to_string(part)) + " part is empty");
    g.rename_value(value, name);
    if (name == "features")
      add_value_info(graph.add_output(), name, net.block_output_shape(split));
    else
      add_value_info(graph.add_output(), name, {c.num_classes});
  }

  nlohmann::json classes = info.class_names;
  add_metadata(model, "part", to_string(part));
  add_metadata(model, "plan_hash", plan.hash());
  add_metadata(model, "architecture",
               nlohmann::json({{"arch", plan.arch},
                               {"width", plan.width},
                               {"shortcut", to_string(plan.shortcut.type)},
                               {"shortcut_every", plan.shortcut.every}})
                   .dump());
  add_metadata(model, "classes", classes.dump());
  add_metadata(model, "input_shape", nlohmann::json({-1, c.in_channels, c.in_h, c.in_w}).dump());
  add_metadata(model, "normalisation",
               info.normalisation.empty()
                   ? std::string("none")
                   : nlohmann::json({{"mean", info.normalisation.mean},
                                     {"std", info.normalisation.std}})
                         .dump());
  add_metadata(model, "hybridnet_version", hybridnet_version());
  for (const auto& [k, v] : info.metadata) add_metadata(model, k, v);

  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw ConfigError(std::string("onnx export: the model fails ONNX's checker: ") + e.what());
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw ConfigError("onnx export: serialisation failed");
  return bytes;
}

}  // namespace hybridnet::models
