// hybridnet's own ONNX runtime (models/runtime_*): reference kernels against hand-computed
// values, constant folding of bit-packed weights, and its errors. Whole exported networks are
// checked against LibTorch in tests/onnx/verify_exports.sh.
#include <onnx/onnx_pb.h>

#include <catch2/catch.hpp>
#include <random>

#include "models/error.h"
#include "models/runtime_binary.h"
#include "models/runtime_kbit.h"
#include "models/runtime_ops.h"
#include "models/runtime_session.h"

using namespace hybridnet;
using namespace hybridnet::models::runtime;

namespace {

Tensor floats(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t;
  t.shape = std::move(shape);
  t.f.assign(values.begin(), values.end());
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

Tensor run1(const Node& n, const std::vector<const Tensor*>& inputs) {
  return run_op(n, inputs)[0];
}

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

TEST_CASE("runtime: MaxPool equals a plain loop for every window, stride, padding, ceil mode",
          "[runtime]") {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (int64_t k = 1; k <= 3; ++k)
    for (int64_t stride = 1; stride <= 3; ++stride)
      for (int64_t pad = 0; pad < k; ++pad)  // ONNX: pads smaller than the kernel
        for (int ceil_mode = 0; ceil_mode <= 1; ++ceil_mode) {
          Tensor x = Tensor::floats({1, 2, 5, 7});
          for (float& v : x.f) v = normal(rng);
          Node pool = node("MaxPool");
          pool.int_lists["kernel_shape"] = {k, k};
          pool.int_lists["strides"] = {stride, stride};
          pool.int_lists["pads"] = {pad, pad, pad, pad};
          pool.ints["ceil_mode"] = ceil_mode;
          const Tensor out = run1(pool, {&x});
          auto size = [&](int64_t in) {
            const double v = double(in + 2 * pad - k) / stride;
            return int64_t(ceil_mode ? std::ceil(v) : std::floor(v)) + 1;
          };
          const int64_t oh = size(5), ow = size(7);
          REQUIRE(out.shape == std::vector<int64_t>{1, 2, oh, ow});
          for (int64_t c = 0; c < 2; ++c)
            for (int64_t y = 0; y < oh; ++y)
              for (int64_t xx = 0; xx < ow; ++xx) {
                float best = -std::numeric_limits<float>::infinity();
                for (int64_t ky = 0; ky < k; ++ky)
                  for (int64_t kx = 0; kx < k; ++kx) {
                    const int64_t iy = y * stride - pad + ky, ix = xx * stride - pad + kx;
                    if (iy >= 0 && iy < 5 && ix >= 0 && ix < 7)
                      best = std::max(best, x.f[(c * 5 + iy) * 7 + ix]);
                  }
                INFO("k " << k << " stride " << stride << " pad " << pad << " ceil " << ceil_mode);
                CHECK(out.f[(c * oh + y) * ow + xx] == best);
              }
        }
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

// The graph of a new opset-17 model with one float input "input" [N, dims...].
onnx::GraphProto* graph_with_input(onnx::ModelProto& m, std::vector<int64_t> dims) {
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  auto* in = g->add_input();
  in->set_name("input");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  return g;
}

// Appends node `op` (named OUT_node) reading `inputs` and writing `output`.
onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op,
                          const std::vector<std::string>& inputs, const std::string& output) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(output + "_node");
  for (const auto& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

// A model: input [N, 1, 3, 3] -> Conv with weights unpacked from one bit-plane -> output y.
// With `binary`, the weights become +-1 (2 (bit - 1/2)) and the input goes through the
// training sign (GreaterOrEqual + Where), as an exported binary layer; with `bn` too, after a
// batch norm x * -2 + 1 (Mul, Add of [1, 1, 1] constants).
std::string tiny_model(const std::string& extra_op = "", bool binary = false, bool bn = false) {
  onnx::ModelProto m;
  auto* g = graph_with_input(m, {1, 3, 3});
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
    return add_node(g, op, ins, out);
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
  std::string last = "input", weights = "w";
  if (binary) {
    const float half = 0.5f, two = 2.0f, zero_f = 0.0f, one = 1.0f, minus = -1.0f;
    auto scalar = [&](const std::string& name, const float& v) {
      init(name, onnx::TensorProto::FLOAT, {}, std::string(reinterpret_cast<const char*>(&v), 4));
    };
    scalar("half", half);
    scalar("twof", two);
    scalar("zerof", zero_f);
    scalar("one", one);
    scalar("minus", minus);
    add("Sub", {"w", "half"}, "wc");
    add("Mul", {"twof", "wc"}, "wpm");
    std::string sign_in = "input";
    if (bn) {
      const float scale = -2.0f, shift = 1.0f;
      init("bn_scale", onnx::TensorProto::FLOAT, {1, 1, 1},
           std::string(reinterpret_cast<const char*>(&scale), 4));
      init("bn_shift", onnx::TensorProto::FLOAT, {1, 1, 1},
           std::string(reinterpret_cast<const char*>(&shift), 4));
      add("Mul", {"input", "bn_scale"}, "bn_mul");
      add("Add", {"bn_mul", "bn_shift"}, "bn");
      sign_in = "bn";
    }
    add("GreaterOrEqual", {sign_in, "zerof"}, "ge");
    add("Where", {"ge", "one", "minus"}, "sign");
    last = "sign";
    weights = "wpm";
  }
  if (!extra_op.empty()) {
    add(extra_op, {"input"}, "odd");
    last = "odd";
  }
  auto* conv = add("Conv", {last, weights}, "y");
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

namespace {

// sign(x) with sign(0) = +1, as float.
Tensor signs(const Tensor& x) {
  Tensor s = x;
  for (float& v : s.f) v = v >= 0 ? 1.0f : -1.0f;
  return s;
}

Tensor random_floats(std::vector<int64_t> shape, std::mt19937& rng, bool with_zeros) {
  Tensor t = Tensor::floats(std::move(shape));
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> tenth(0, 9);
  for (float& v : t.f) v = with_zeros && tenth(rng) == 0 ? 0.0f : normal(rng);
  return t;
}

}  // namespace

TEST_CASE("runtime: XNOR + popcount convolution equals the float convolution of the signs",
          "[runtime][binary]") {
  // Odd channel counts (not multiples of 64, one and two words) and whole words, stride 1 and
  // 2, padding at every border, 1x1, 3x3 and 5x5; inputs with exact zeros (sign +1). With
  // alpha = 1 both sides are sums of +-1, exact in float: the outputs must be equal, not close.
  std::mt19937 rng(3);
  struct Case {
    int64_t c, o, h, w, k, stride, pad;
  };
  for (const Case& t :
       {Case{3, 5, 7, 6, 3, 1, 1}, Case{70, 9, 5, 5, 3, 2, 1}, Case{64, 4, 4, 7, 1, 1, 0},
        Case{129, 3, 6, 5, 3, 2, 1}, Case{17, 8, 9, 9, 1, 2, 0}, Case{257, 20, 9, 10, 3, 1, 1},
        Case{33, 18, 8, 8, 5, 1, 2}, Case{512, 17, 3, 3, 3, 1, 1},
        // Whole channel words (C a multiple of 64): stride 2 with padding, 5x5, 1x1 stride 2,
        // blocks of 64 pixels that span output rows.
        Case{128, 6, 9, 11, 3, 2, 1}, Case{64, 5, 10, 13, 5, 1, 2}, Case{128, 4, 8, 8, 1, 2, 0},
        Case{64, 3, 12, 12, 3, 1, 1}, Case{192, 7, 13, 9, 3, 2, 0}}) {
    INFO("C " << t.c << " O " << t.o << " " << t.h << "x" << t.w << " k " << t.k << " stride "
              << t.stride);
    const Tensor x = random_floats({2, t.c, t.h, t.w}, rng, true);
    const Tensor w = signs(random_floats({t.o, t.c, t.k, t.k}, rng, false));
    BinaryConvWeights packed;
    REQUIRE(pack_binary_weights(w, packed));
    packed.stride_h = packed.stride_w = t.stride;
    packed.pad_top = packed.pad_left = packed.pad_bottom = packed.pad_right = t.pad;
    Node conv = node("Conv");
    conv.int_lists["kernel_shape"] = {t.k, t.k};
    conv.int_lists["strides"] = {t.stride, t.stride};
    conv.int_lists["pads"] = {t.pad, t.pad, t.pad, t.pad};
    const Tensor s = signs(x);
    const Tensor expected = run1(conv, {&s, &w});
    const Tensor reference = binary_conv(x, packed, KernelSet::kReference);
    CHECK(reference.shape == expected.shape);
    CHECK(reference.f == expected.f);
    for (KernelSet set :
         {KernelSet::kScalar, KernelSet::kPopcnt, KernelSet::kAvx2, KernelSet::kAvx512}) {
      if (!cpu_supports(set)) {
        WARN("kernel set " << to_string(set) << " not tested: this CPU lacks it");
        continue;
      }
      INFO("kernel set " << to_string(set));
      CHECK(binary_conv(x, packed, set).f == reference.f);
    }
  }
}

TEST_CASE("runtime: every kernel set counts mismatches as a plain loop does", "[runtime][binary]") {
  // Rows not a multiple of any tile, words past the AVX2 kernel's 31-word byte-count flush.
  std::mt19937_64 rng(5);
  for (int64_t words : {1, 3, 31, 32, 75})
    for (int64_t rows : {1, 5, 66}) {
      const int64_t cols = 2 * kColumnBlock;
      std::vector<uint64_t> a(size_t(rows * words)), b(size_t(words * cols));
      for (auto& v : a) v = rng();
      for (auto& v : b) v = rng();
      a[0] = ~uint64_t{0};  // all ones against ...
      b[0] = 0;             // ... all zeros: 64 mismatches in one word
      std::vector<int32_t> expected(size_t(rows * cols), 0);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          for (int64_t k = 0; k < words; ++k)
            for (int bit = 0; bit < 64; ++bit)
              expected[r * cols + c] += ((a[r * words + k] ^ b[k * cols + c]) >> bit) & 1;
      for (KernelSet set :
           {KernelSet::kScalar, KernelSet::kPopcnt, KernelSet::kAvx2, KernelSet::kAvx512}) {
        if (!cpu_supports(set)) continue;
        INFO(to_string(set) << ", " << rows << " rows of " << words << " words");
        std::vector<int32_t> counts(expected.size(), -1);
        mismatch_counts(set, a.data(), rows, words, b.data(), cols, counts.data());
        CHECK(counts == expected);
      }
    }
  CHECK(kernel_set_from_name("auto") == best_kernel_set());
  CHECK(kernel_set_from_name("scalar") == KernelSet::kScalar);
  CHECK_THROWS_WITH(kernel_set_from_name("sse9"),
                    "kernel set sse9: not one of auto, avx512, avx2, popcnt, scalar, reference");
}

TEST_CASE("runtime: alpha scales a binary conv, and only +-alpha weights are binary",
          "[runtime][binary]") {
  std::mt19937 rng(4);
  const Tensor x = random_floats({1, 5, 4, 4}, rng, false);
  Tensor w = signs(random_floats({2, 5, 3, 3}, rng, false));
  for (size_t i = 0; i < w.f.size(); ++i) w.f[i] *= i < 45 ? 0.25f : 0.5f;  // alpha per filter
  BinaryConvWeights packed;
  REQUIRE(pack_binary_weights(w, packed));
  CHECK(packed.alpha == std::vector<float>{0.25f, 0.5f});
  CHECK(packed.row_words == 1);  // 45 bits
  CHECK(packed.filters.size() == 2);
  packed.pad_top = packed.pad_left = packed.pad_bottom = packed.pad_right = 1;
  Node conv = node("Conv");
  conv.int_lists["kernel_shape"] = {3, 3};
  conv.int_lists["pads"] = {1, 1, 1, 1};
  const Tensor s = signs(x);
  const Tensor expected = run1(conv, {&s, &w});
  const Tensor out = binary_conv(x, packed);
  for (size_t i = 0; i < out.f.size(); ++i) CHECK(out.f[i] == Approx(expected.f[i]).margin(1e-5));
  w.f[7] = 0.3f;  // no longer +-alpha: stays a float conv
  CHECK_FALSE(pack_binary_weights(w, packed));
}

TEST_CASE("runtime: an exported binary layer is fused into an XNOR + popcount conv",
          "[runtime][binary]") {
  const Session fused(parse_graph(tiny_model("", true), "binary.onnx"));
  const Session plain(parse_graph(tiny_model("", true), "binary.onnx"), /*binary_kernels=*/false);
  CHECK(fused.binary_convs() == 1);
  CHECK(plain.binary_convs() == 0);
  REQUIRE(fused.graph().nodes.size() == 1);  // the sign nodes went with the fusion
  CHECK(fused.graph().nodes[0].op == "HybridnetBinaryConv");
  CHECK(fused.graph().constants.empty());  // the float weights too: only their bits stay
  CHECK(plain.graph().nodes.size() == 3);
  const Tensor x =
      floats({2, 1, 3, 3}, {1, -2, 0, 4, -5, 6, -7, 8, -9, 0, 0, 0, -1, -1, -1, 2, 2, 2});
  // Weights + - + / - + - / + - +. Image 1, signs + - + / + - + / - + -: rows 3, -3, -3.
  // Image 2, signs + + + / - - - / + + + (sign(0) = +1): rows 1, 1, 1.
  CHECK(fused.run(x).at("y").f == std::vector<float>{-3, 3});
  CHECK(plain.run(x).at("y").f == fused.run(x).at("y").f);
  CHECK(fused.kernels().find("1 binary conv(s)") != std::string::npos);
}

TEST_CASE("runtime: the batch norm before an exported binary layer's sign is fused too",
          "[runtime][binary]") {
  const Session fused(parse_graph(tiny_model("", true, true), "bn.onnx"));
  const Session plain(parse_graph(tiny_model("", true, true), "bn.onnx"), false);
  CHECK(fused.binary_convs() == 1);
  REQUIRE(fused.graph().nodes.size() == 1);  // Mul and Add went with the sign
  CHECK(plain.graph().nodes.size() == 5);
  const Tensor x =
      floats({2, 1, 3, 3}, {1, -2, 0, 4, -5, 6, -7, 8, -9, 0, 0, 0, -1, -1, -1, 2, 2, 2});
  // sign(-2 x + 1) is + where x <= 0.5. Image 1: - + + / - + - / + - + against weights
  // + - + / - + - / + - +: 5. Image 2: + + + / + + + / - - -: 1 - 1 - 1 = -1.
  CHECK(fused.run(x).at("y").f == std::vector<float>{5, -1});
  CHECK(plain.run(x).at("y").f == std::vector<float>{5, -1});
  for (KernelSet set : {KernelSet::kReference, KernelSet::kScalar, best_kernel_set()})
    CHECK(Session(parse_graph(tiny_model("", true, true), "bn.onnx"), true, set).run(x).at("y").f ==
          std::vector<float>{5, -1});
}

namespace {

// Weights alpha (2 c / n - 1) with random codes c in 0..n, one alpha per filter; filter 0 has no
// extreme code when n > 1, and the layer's largest alpha (which the packing falls back to).
Tensor kbit_weights(std::vector<int64_t> shape, int bits, std::mt19937& rng) {
  Tensor w = Tensor::floats(shape);
  const int n = (1 << bits) - 1;
  const int64_t per_filter = w.numel() / shape[0];
  std::uniform_int_distribution<int> code(0, n), inner(n > 1 ? 1 : 0, n > 1 ? n - 1 : n);
  auto alpha_of = [](int64_t o) { return 0.25f + 0.125f * float(o % 5); };
  float largest = 0;
  for (int64_t o = 1; o < shape[0]; ++o) largest = std::max(largest, alpha_of(o));
  for (int64_t o = 0; o < shape[0]; ++o) {
    const float alpha = o == 0 ? largest : alpha_of(o);
    for (int64_t i = 0; i < per_filter; ++i) {
      const int c = o == 0 ? inner(rng) : code(rng);
      w.f[o * per_filter + i] = alpha * (2.0f * (float(c) / float(n) - 0.5f));
    }
    if (o != 0) w.f[o * per_filter] = alpha;  // the extreme code, so alpha is the filter's
  }
  return w;
}

// What the exported graph computes: the quantized input (q_k or the sign), in float.
Tensor quantized_input(const Tensor& x, int bits) {
  Tensor q = x;
  const float n = float((1 << bits) - 1);
  for (float& v : q.f)
    v = bits == 1 ? (v >= 0 ? 1.0f : -1.0f) : 2.0f * (float(input_code(v, bits)) / n - 0.5f);
  return q;
}

}  // namespace

TEST_CASE("runtime: k-bit weights are found on their grid, with alpha per filter",
          "[runtime][kbit]") {
  std::mt19937 rng(6);
  for (int bits : {1, 2, 3, 4}) {
    INFO(bits << "-bit weights");
    const Tensor w = kbit_weights({6, 5, 3, 3}, bits, rng);
    KbitConvWeights packed;
    REQUIRE(pack_kbit_weights(w, packed));
    CHECK(packed.weight_bits == bits);
    CHECK(packed.alpha[1] == 0.375f);
    CHECK(packed.planes.size() == size_t(bits * 6 * packed.row_words));
  }
  Tensor w = kbit_weights({2, 3, 1, 1}, 2, rng);
  w.f[4] = 0.1234f;  // off every grid
  KbitConvWeights packed;
  CHECK_FALSE(pack_kbit_weights(w, packed));
}

TEST_CASE("runtime: bit-serial k-bit convolution equals the float convolution of the codes",
          "[runtime][kbit]") {
  // Input and weight bits from 1 to 4 (not both 1), odd channel counts, stride 2, padding at
  // every border, 1x1, 3x3 and 5x5, a fused batch norm. Every kernel set equals the plain
  // reference bit for bit (both are integer sums, scaled once); the reference equals the float
  // convolution of the quantized values to float rounding.
  std::mt19937 rng(7);
  struct Case {
    int xbits, wbits;
    int64_t c, o, h, w, k, stride, pad;
    bool bn;
  };
  for (const Case& t :
       {Case{2, 2, 3, 5, 7, 6, 3, 1, 1, false}, Case{1, 2, 70, 9, 5, 5, 3, 2, 1, true},
        Case{2, 1, 64, 4, 4, 7, 1, 1, 0, false}, Case{4, 3, 33, 18, 8, 8, 5, 1, 2, true},
        Case{3, 2, 129, 3, 6, 5, 3, 2, 1, false}, Case{2, 4, 17, 20, 9, 10, 3, 1, 1, true},
        Case{2, 2, 128, 5, 9, 11, 3, 2, 1, true}, Case{1, 2, 64, 6, 12, 12, 3, 1, 1, false}}) {
    INFO("x " << t.xbits << " bits, w " << t.wbits << " bits, C " << t.c << " O " << t.o << " k "
              << t.k << " stride " << t.stride << " bn " << t.bn);
    Tensor x = random_floats({2, t.c, t.h, t.w}, rng, true);
    for (float& v : x.f) v *= 0.7f;  // mostly inside the clamp
    const Tensor w = kbit_weights({t.o, t.c, t.k, t.k}, t.wbits, rng);
    KbitConvWeights packed;
    REQUIRE(pack_kbit_weights(w, packed));
    REQUIRE(packed.weight_bits == t.wbits);
    packed.input_bits = t.xbits;
    packed.stride_h = packed.stride_w = t.stride;
    packed.pad_top = packed.pad_left = packed.pad_bottom = packed.pad_right = t.pad;
    Tensor normed = x;
    if (t.bn) {
      for (int64_t c = 0; c < t.c; ++c) {
        packed.bn_scale.push_back(0.5f + 0.25f * float(c % 3));
        packed.bn_shift.push_back(-0.125f * float(c % 4));
      }
      const int64_t hw = t.h * t.w;
      for (int64_t i = 0; i < normed.numel(); ++i) {
        const int64_t c = (i / hw) % t.c;
        normed.f[i] = x.f[i] * packed.bn_scale[c] + packed.bn_shift[c];
      }
    }
    Node conv = node("Conv");
    conv.int_lists["kernel_shape"] = {t.k, t.k};
    conv.int_lists["strides"] = {t.stride, t.stride};
    conv.int_lists["pads"] = {t.pad, t.pad, t.pad, t.pad};
    const Tensor q = quantized_input(normed, t.xbits);
    const Tensor expected = run1(conv, {&q, &w});
    const Tensor reference = kbit_conv(x, packed, KernelSet::kReference);
    REQUIRE(reference.shape == expected.shape);
    for (size_t i = 0; i < expected.f.size(); ++i)
      REQUIRE(reference.f[i] == Approx(expected.f[i]).margin(1e-4));
    for (KernelSet set :
         {KernelSet::kScalar, KernelSet::kPopcnt, KernelSet::kAvx2, KernelSet::kAvx512}) {
      if (!cpu_supports(set)) continue;
      INFO("kernel set " << to_string(set));
      CHECK(kbit_conv(x, packed, set).f == reference.f);
    }
  }
}

TEST_CASE("runtime: the input quantizer's codes are the graph's float operations",
          "[runtime][kbit]") {
  // q_k of eq. 3 for 2 bits: floor(3 (clip(x) + 1) / 2 + 0.5).
  CHECK(input_code(-5.0f, 2) == 0);
  CHECK(input_code(-1.0f, 2) == 0);
  CHECK(input_code(-0.5f, 2) == 1);  // 3 * 0.5 / 2 + 0.5 = 1.25
  CHECK(input_code(0.0f, 2) == 2);   // 1.5 + 0.5 = 2
  CHECK(input_code(0.5f, 2) == 2);   // 2.25 + 0.5 = 2.75
  CHECK(input_code(0.7f, 2) == 3);   // 2.55 + 0.5 = 3.05
  CHECK(input_code(9.0f, 2) == 3);
  CHECK(input_code(-0.0f, 1) == 1);  // the sign: sign(0) = +1
  CHECK(input_code(-1e-9f, 1) == 0);
}

TEST_CASE("runtime: a residual Add into a dying operand's buffer gives the float sums",
          "[runtime]") {
  // input -> Relu -> a; Add(a, input) -> y (a dies there: added in place);
  // Add(input, a2) -> z where the first operand is the graph input (not a buffer to reuse).
  onnx::ModelProto m;
  auto* g = graph_with_input(m, {4});
  g->add_output()->set_name("y");
  g->add_output()->set_name("z");
  auto add = [&](const std::string& op, std::vector<std::string> ins, const std::string& out) {
    return add_node(g, op, ins, out);
  };
  add("Relu", {"input"}, "a");
  add("Relu", {"input"}, "a2");
  add("Add", {"a", "input"}, "y");
  add("Add", {"input", "a2"}, "z");
  const Session session(parse_graph(m.SerializeAsString(), "add.onnx"));
  const Tensor x = floats({2, 4}, {1.5f, -2, 0.25f, -0.125f, 3, -1, 0, 7});
  const auto out = session.run(x);
  const std::vector<float> expected = {3, -2, 0.5f, -0.125f, 6, -1, 0, 14};
  CHECK(out.at("y").f == expected);
  CHECK(out.at("z").f == expected);
  CHECK(out.at("y").shape == std::vector<int64_t>{2, 4});
}

TEST_CASE("runtime: a float Conv computed in bands of output rows equals the direct sum",
          "[runtime]") {
  // 576 rows of im2col x 120 columns per output row is over the 256 KiB band: bands of 3 rows
  // (the 256-column minimum), the last one shorter, each product written at its offset.
  std::mt19937 rng(8);
  for (int64_t stride : {1, 2}) {
    INFO("stride " << stride);
    const Tensor x = random_floats({2, 64, 12, 120}, rng, false);
    const Tensor w = random_floats({5, 64, 3, 3}, rng, false);
    Node conv = node("Conv");
    conv.int_lists["kernel_shape"] = {3, 3};
    conv.int_lists["strides"] = {stride, stride};
    conv.int_lists["pads"] = {1, 1, 1, 1};
    const Tensor out = run1(conv, {&x, &w});
    const int64_t oh = (12 + 2 - 3) / stride + 1, ow = (120 + 2 - 3) / stride + 1;
    REQUIRE(out.shape == std::vector<int64_t>{2, 5, oh, ow});
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t o = 0; o < 5; ++o)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t xx = 0; xx < ow; ++xx) {
            double sum = 0;
            for (int64_t c = 0; c < 64; ++c)
              for (int64_t ky = 0; ky < 3; ++ky)
                for (int64_t kx = 0; kx < 3; ++kx) {
                  const int64_t iy = y * stride + ky - 1, ix = xx * stride + kx - 1;
                  if (iy < 0 || iy >= 12 || ix < 0 || ix >= 120) continue;
                  sum += double(x.f[((b * 64 + c) * 12 + iy) * 120 + ix]) *
                         w.f[((o * 64 + c) * 3 + ky) * 3 + kx];
                }
            REQUIRE(out.f[((b * 5 + o) * oh + y) * ow + xx] == Approx(sum).margin(1e-3));
          }
  }
}

TEST_CASE("runtime: activation blocks freed by one run are reused by the next",
          "[runtime][memory]") {
  const size_t before = cached_block_bytes();
  const size_t big = kCachedBlockBytes * 3;
  void* a = acquire_block(big);
  REQUIRE(reinterpret_cast<uintptr_t>(a) % 64 == 0);
  release_block(a, big);
  CHECK(cached_block_bytes() == before + big);
  CHECK(acquire_block(big) == a);  // the same size: the cached block
  CHECK(cached_block_bytes() == before);
  void* other = acquire_block(big + 64);  // another size: new memory
  CHECK(other != a);
  release_block(other, big + 64);
  release_block(a, big);
  CHECK(cached_block_bytes() == before + 2 * big + 64);
  // Small blocks are not cached; nor are blocks past the cache's limit.
  release_block(acquire_block(kCachedBlockBytes / 2), kCachedBlockBytes / 2);
  CHECK(cached_block_bytes() == before + 2 * big + 64);
  const size_t huge = kBlockCacheBytes;
  release_block(acquire_block(huge), huge);
  CHECK(cached_block_bytes() == before + 2 * big + 64);
  // A tensor's floats come from the cache and leave it again.
  {
    Tensor t = Tensor::floats_for_overwrite({1, 3, int64_t(big / 12)});
    CHECK(t.f.data() == a);
  }
  CHECK(cached_block_bytes() == before + 2 * big + 64);
  release_cached_blocks();
  CHECK(cached_block_bytes() == 0);
}
