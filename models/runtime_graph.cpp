#include "models/runtime_graph.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "models/error.h"
#include "models/runtime_ops.h"

namespace hybridnet::models::runtime {

namespace {

// An initializer as a runtime tensor; DataError for a type the runtime does not read.
Tensor from_proto(const onnx::TensorProto& t, const std::string& where) {
  Tensor out;
  for (int64_t d : t.dims()) out.shape.push_back(d);
  const auto n = static_cast<size_t>(out.numel());
  const std::string& raw = t.raw_data();
  auto check_raw = [&](size_t element) {
    if (raw.size() != n * element)
      throw DataError(where + ": initializer " + t.name() + " holds " +
                      std::to_string(raw.size()) + " bytes for " + std::to_string(n) +
                      " values");
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      out.type = ElementType::kFloat;
      if (!raw.empty()) {
        check_raw(4);
        out.f.resize(n);
        std::memcpy(out.f.data(), raw.data(), raw.size());
      } else {
        out.f.assign(t.float_data().begin(), t.float_data().end());
      }
      if (out.f.size() != n) throw DataError(where + ": initializer " + t.name() + " is short");
      return out;
    case onnx::TensorProto::INT64:
      out.type = ElementType::kInt64;
      if (!raw.empty()) {
        check_raw(8);
        out.i64.resize(n);
        std::memcpy(out.i64.data(), raw.data(), raw.size());
      } else {
        out.i64.assign(t.int64_data().begin(), t.int64_data().end());
      }
      if (out.i64.size() != n) throw DataError(where + ": initializer " + t.name() + " is short");
      return out;
    case onnx::TensorProto::UINT8:
      out.type = ElementType::kUInt8;
      if (!raw.empty()) {
        check_raw(1);
        out.u8.assign(raw.begin(), raw.end());
      } else {
        for (int32_t v : t.int32_data()) out.u8.push_back(static_cast<uint8_t>(v));
      }
      if (out.u8.size() != n) throw DataError(where + ": initializer " + t.name() + " is short");
      return out;
    default:
      throw DataError(where + ": initializer " + t.name() + " has ONNX data type " +
                      std::to_string(t.data_type()) + " (the runtime reads float, int64, uint8)");
  }
}

Node from_proto(const onnx::NodeProto& p) {
  Node n;
  n.op = p.op_type();
  n.name = !p.name().empty() ? p.name() : (p.output_size() ? p.output(0) : p.op_type());
  if (!p.domain().empty() && p.domain() != "ai.onnx")
    throw ConfigError("node " + n.name + " (" + n.op + "): operator domain '" + p.domain() +
                      "' is not supported (standard operators only)");
  n.inputs.assign(p.input().begin(), p.input().end());
  n.outputs.assign(p.output().begin(), p.output().end());
  for (const auto& a : p.attribute()) {
    switch (a.type()) {
      case onnx::AttributeProto::INT:
        n.ints[a.name()] = a.i();
        break;
      case onnx::AttributeProto::INTS:
        n.int_lists[a.name()].assign(a.ints().begin(), a.ints().end());
        break;
      case onnx::AttributeProto::STRING:
        n.strings[a.name()] = a.s();
        break;
      default:
        throw ConfigError("node " + n.name + " (" + n.op + "): attribute " + a.name() +
                          " has a type the runtime does not read");
    }
  }
  return n;
}

}  // namespace

Graph parse_graph(const std::string& bytes, const std::string& where) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw DataError(where + ": not an ONNX model (protobuf parsing failed; truncated or corrupt?)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw DataError(where + ": the ONNX model has no graph");
  for (const auto& o : model.opset_import())
    if ((o.domain().empty() || o.domain() == "ai.onnx") && (o.version() < 13 || o.version() > 17))
      throw ConfigError(where + ": opset " + std::to_string(o.version()) +
                        " (the runtime reads opsets 13 to 17)");
  const auto& g = model.graph();
  Graph out;
  for (const auto& p : model.metadata_props()) out.metadata[p.key()] = p.value();
  for (const auto& t : g.initializer()) out.constants[t.name()] = from_proto(t, where);
  std::vector<std::string> inputs;
  for (const auto& i : g.input())
    if (!out.constants.count(i.name())) inputs.push_back(i.name());
  if (inputs.size() != 1)
    throw ConfigError(where + ": the runtime runs models with one input, not " +
                      std::to_string(inputs.size()));
  out.input = inputs[0];
  for (const auto& i : g.input())
    if (i.name() == out.input) {
      const auto& shape = i.type().tensor_type().shape();
      if (i.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT || shape.dim_size() < 2)
        throw ConfigError(where + ": input " + out.input + " must be a float tensor [N, ...]");
      for (int k = 1; k < shape.dim_size(); ++k) out.input_shape.push_back(shape.dim(k).dim_value());
    }
  for (const auto& o : g.output()) out.outputs.push_back(o.name());

  // Fold every node whose inputs are all constant; keep the rest in order.
  std::set<std::string> known{out.input};
  for (const auto& [name, t] : out.constants) known.insert(name);
  for (const auto& p : g.node()) {
    Node n = from_proto(p);
    bool constant = true;
    for (const auto& i : n.inputs) {
      if (i.empty()) continue;
      if (!known.count(i))
        throw DataError(where + ": node " + n.name + " (" + n.op + ") reads " + i +
                        ", which no earlier node writes (the graph is not in order)");
      constant = constant && out.constants.count(i);
    }
    for (const auto& o : n.outputs) known.insert(o);
    const auto& ops = supported_ops();
    if (std::find(ops.begin(), ops.end(), n.op) == ops.end()) run_op(n, {});  // names the node
    if (!constant) {
      out.nodes.push_back(std::move(n));
      continue;
    }
    std::vector<const Tensor*> args;
    for (const auto& i : n.inputs) args.push_back(i.empty() ? nullptr : &out.constants.at(i));
    auto results = run_op(n, args);
    for (size_t k = 0; k < n.outputs.size() && k < results.size(); ++k)
      out.constants[n.outputs[k]] = std::move(results[k]);
  }
  for (const auto& o : out.outputs)
    if (!known.count(o)) throw DataError(where + ": output " + o + " is written by no node");
  // Keep only the constants the remaining nodes read (the unpacked weights, not the bits and
  // intermediate values they were folded from).
  std::set<std::string> used(out.outputs.begin(), out.outputs.end());
  for (const auto& n : out.nodes) used.insert(n.inputs.begin(), n.inputs.end());
  for (auto it = out.constants.begin(); it != out.constants.end();)
    it = used.count(it->first) ? std::next(it) : out.constants.erase(it);
  return out;
}

Graph load_graph(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw DataError(path + ": cannot open the ONNX model (" + std::strerror(errno) + ")");
  std::ostringstream bytes;
  bytes << f.rdbuf();
  return parse_graph(bytes.str(), path);
}

}  // namespace hybridnet::models::runtime
