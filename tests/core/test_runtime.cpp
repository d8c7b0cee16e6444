// hybridnet's own ONNX runtime (models/runtime_*): reference kernels against hand-computed
// values, constant folding of bit-packed weights, and its errors. Whole exported networks are
// checked against LibTorch in tests/onnx/verify_exports.sh.
#include <onnx/onnx_pb.h>

#include <catch2/catch.hpp>

#include "models/error.h"
#include "models/runtime_ops.h"
#include "models/runtime_session.h"

using namespace hybridnet;
using namespace hybridnet::models::runtime;

namespace {

Tensor floats(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t;
  t.shape = std::move(shape);
  t.f = std::move(values);
  return t;
}

Tensor int64s(std::vector<int64_t> values) {
  Tensor t;
  t.type = ElementType::kInt64;
  t.shape = {static_cast<int64_t>(values.size())};
  t.i64 = std::move(values);
  return t;
}

Node node(const std::string& op) {
  Node n;
  n.op = op;
  n.name = "n_" + op;
  return n;
}

Tensor run1(const Node& n, const std::vector<const Tensor*>& inputs) { return run_op(n, inputs)[0]; }

const Tensor kImage = floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});

}  // namespace

TEST_CASE("runtime: Conv with padding and stride, by hand", "[runtime]") {
  Node conv = node("Conv");
  conv.int_lists["kernel_shape"] = {3, 3};
  conv.int_lists["pads"] = {1, 1, 1, 1};
  conv.int_lists["strides"] = {2, 2};
  const Tensor ones = floats({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  const Tensor out = run1(conv, {&kImage, &ones});
  CHECK(out.shape == std::vector<int64_t>{1, 1, 2, 2});
  // Windows at rows/cols -1..1 and 1..3 of the zero-padded image.
  CHECK(out.f == std::vector<float>{12, 16, 24, 28});
}

TEST_CASE("runtime: signs are zero-padded after the sign, as in training", "[runtime]") {
  // sign(x) with sign(0) = +1 (GreaterOrEqual + Where), then a 3x3 conv of ones with padding 1:
  // border outputs sum only the in-bounds signs (padding is 0, neither +1 nor -1).
  const Tensor x = floats({1, 1, 3, 3}, {-1, 0, 2, -3, 4, -5, 6, -7, 0});
  const Tensor zero = floats({}, {0}), plus = floats({}, {1}), minus = floats({}, {-1});
  const Tensor ge = run1(node("GreaterOrEqual"), {&x, &zero});
  const Tensor s = run1(node("Where"), {&ge, &plus, &minus});
  CHECK(s.f == std::vector<float>{-1, 1, 1, -1, 1, -1, 1, -1, 1});
  Node conv = node("Conv");
  conv.int_lists["kernel_shape"] = {3, 3};
  conv.int_lists["pads"] = {1, 1, 1, 1};
  const Tensor ones = floats({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  const Tensor out = run1(conv, {&s, &ones});
  // Corner (0,0): -1 + 1 - 1 + 1 = 0; centre: the sum of all nine signs = 1.
  CHECK(out.f[0] == 0);
  CHECK(out.f[4] == 1);
  CHECK(out.f[8] == (1 - 1 - 1 + 1));  // bottom-right: 1 (4) -1 (-5) -1 (-7) +1 (0)
}

TEST_CASE("runtime: MaxPool in ceil mode, Slice with steps, Pad of channels", "[runtime]") {
  Node pool = node("MaxPool");
  pool.int_lists["kernel_shape"] = {2, 2};
  pool.int_lists["strides"] = {2, 2};
  pool.ints["ceil_mode"] = 1;
  const Tensor pooled = run1(pool, {&kImage});
  CHECK(pooled.shape == std::vector<int64_t>{1, 1, 2, 2});
  CHECK(pooled.f == std::vector<float>{5, 6, 8, 9});

  const Tensor from = int64s({0, 0}), to = int64s({INT64_MAX, INT64_MAX}), axes = int64s({2, 3}),
               steps = int64s({2, 2});
  const Tensor sub = run1(node("Slice"), {&kImage, &from, &to, &axes, &steps});
  CHECK(sub.shape == std::vector<int64_t>{1, 1, 2, 2});
  CHECK(sub.f == std::vector<float>{1, 3, 7, 9});

  const Tensor pads = int64s({0, 0, 0, 0, 0, 2, 0, 0});
  const Tensor padded = run1(node("Pad"), {&sub, &pads});
  CHECK(padded.shape == std::vector<int64_t>{1, 3, 2, 2});
  CHECK(padded.f == std::vector<float>{1, 3, 7, 9, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("runtime: per-channel broadcasting, Gemm, q_k nodes", "[runtime]") {
  const Tensor x = floats({1, 2, 1, 2}, {1, 2, 3, 4});
  const Tensor scale = floats({2, 1, 1}, {10, 100});
  CHECK(run1(node("Mul"), {&x, &scale}).f == std::vector<float>{10, 20, 300, 400});
  Node gemm = node("Gemm");
  gemm.ints["transB"] = 1;
  const Tensor a = floats({1, 2}, {1, 2}), b = floats({3, 2}, {1, 0, 0, 1, 1, 1});
  CHECK(run1(gemm, {&a, &b}).f == std::vector<float>{1, 2, 3});
  const Tensor lo = floats({}, {-1}), hi = floats({}, {1});
  const Tensor v = floats({4}, {-3, -0.2f, 0.4f, 2});
  CHECK(run1(node("Clip"), {&v, &lo, &hi}).f == std::vector<float>{-1, -0.2f, 0.4f, 1});
  CHECK(run1(node("Floor"), {&v}).f == std::vector<float>{-3, -1, 0, 2});
}

namespace {

// A model: input [N, 1, 3, 3] -> Conv with weights unpacked from one bit-plane -> output y.
std::string tiny_model(const std::string& extra_op = "") {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  auto* in = g->add_input();
  in->set_name("input");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  for (int d : {1, 3, 3}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  g->add_output()->set_name("y");
  auto init = [&](const std::string& name, int type, std::vector<int64_t> dims, std::string raw) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    t->set_raw_data(raw);
  };
  // Nine weights +1 -1 +1 / -1 +1 -1 / +1 -1 +1 packed MSB-first: 10101010 1(0000000).
  init("bits", onnx::TensorProto::UINT8, {2, 1}, std::string("\xaa\x80", 2));
  init("shifts", onnx::TensorProto::UINT8, {8}, std::string("\x07\x06\x05\x04\x03\x02\x01\x00", 8));
  init("two", onnx::TensorProto::UINT8, {1}, std::string("\x02", 1));
  const int64_t to[] = {9};
  init("to", onnx::TensorProto::INT64, {1}, std::string(reinterpret_cast<const char*>(to), 8));
  const int64_t shape[] = {1, 1, 3, 3};
  init("shape", onnx::TensorProto::INT64, {4},
       std::string(reinterpret_cast<const char*>(shape), 32));
  const int64_t flat[] = {16};
  init("flat", onnx::TensorProto::INT64, {1}, std::string(reinterpret_cast<const char*>(flat), 8));
  const int64_t zero[] = {0};
  init("zero", onnx::TensorProto::INT64, {1}, std::string(reinterpret_cast<const char*>(zero), 8));
  auto add = [&](const std::string& op, std::vector<std::string> ins, const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(out + "_node");
    for (auto& i : ins) n->add_input(i);
    n->add_output(out);
    return n;
  };
  auto* shift = add("BitShift", {"bits", "shifts"}, "shifted");
  auto* a = shift->add_attribute();
  a->set_name("direction");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("RIGHT");
  add("Mod", {"shifted", "two"}, "bit");
  auto* cast = add("Cast", {"bit"}, "bitf");
  auto* to_attr = cast->add_attribute();
  to_attr->set_name("to");
  to_attr->set_type(onnx::AttributeProto::INT);
  to_attr->set_i(onnx::TensorProto::FLOAT);
  add("Reshape", {"bitf", "flat"}, "flatbits");
  add("Slice", {"flatbits", "zero", "to"}, "used");
  add("Reshape", {"used", "shape"}, "w");
  std::string last = "input";
  if (!extra_op.empty()) {
    add(extra_op, {"input"}, "odd");
    last = "odd";
  }
  auto* conv = add("Conv", {last, "w"}, "y");
  auto* k = conv->add_attribute();
  k->set_name("kernel_shape");
  k->set_type(onnx::AttributeProto::INTS);
  k->add_ints(3);
  k->add_ints(3);
  return m.SerializeAsString();
}

}  // namespace

TEST_CASE("runtime: constant weights are folded at load and the graph runs", "[runtime]") {
  const Session s(parse_graph(tiny_model(), "tiny.onnx"));
  REQUIRE(s.graph().nodes.size() == 1);  // the unpacking ran once, at load
  CHECK(s.graph().nodes[0].op == "Conv");
  REQUIRE(s.graph().constants.count("w"));
  CHECK(s.graph().constants.at("w").f == std::vector<float>{1, 0, 1, 0, 1, 0, 1, 0, 1});
  CHECK(s.graph().constants.size() == 1);  // the bits and shapes are gone
  const auto out = s.run(kImage);
  REQUIRE(out.at("y").f.size() == 1);
  CHECK(out.at("y").f[0] == 1 + 3 + 5 + 7 + 9);
  CHECK_THROWS_WITH(s.run(floats({1, 1, 2, 2}, {1, 2, 3, 4})),
                    "input input: shape [1, 1, 2, 2] does not fit the model's [N, 1, 3, 3]");
}

TEST_CASE("runtime: unsupported operators and damaged files are one-line errors", "[runtime]") {
  // Found at load, not in the middle of a run.
  CHECK_THROWS_WITH(parse_graph(tiny_model("Sign"), "odd.onnx"),
                    Catch::Contains("node odd_node (Sign): operator not supported by the runtime"));
  const std::string bytes = tiny_model();
  CHECK_THROWS_WITH(parse_graph(bytes.substr(0, bytes.size() / 2), "cut.onnx"),
                    "cut.onnx: not an ONNX model (protobuf parsing failed; truncated or corrupt?)");
  CHECK_THROWS_AS(load_graph("/nonexistent/model.onnx"), DataError);
}
