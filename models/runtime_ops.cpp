#include "models/runtime_ops.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>

#include "models/error.h"
#include "models/runtime_sgemm.h"
#include "models/vector_clones.h"

namespace hybridnet::models::runtime {

const char* to_string(ElementType type) {
  switch (type) {
    case ElementType::kFloat:
      return "float";
    case ElementType::kInt64:
      return "int64";
    case ElementType::kUInt8:
      return "uint8";
    case ElementType::kBool:
      return "bool";
  }
  return "?";
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

using Shape = std::vector<int64_t>;

[[noreturn]] void fail(const Node& n, const std::string& what) {
  throw ConfigError("node " + n.name + " (" + n.op + "): " + what);
}

const Tensor& in(const Node& n, const std::vector<const Tensor*>& inputs, size_t i) {
  if (i >= inputs.size() || !inputs[i]) fail(n, "input " + std::to_string(i) + " is missing");
  return *inputs[i];
}

const Tensor& typed(const Node& n, const std::vector<const Tensor*>& inputs, size_t i,
                    ElementType type) {
  const Tensor& t = in(n, inputs, i);
  if (t.type != type)
    fail(n, "input " + std::to_string(i) + " is " + to_string(t.type) + ", expected " +
                to_string(type));
  return t;
}

// Numpy broadcasting of two shapes; the output's shape.
Shape broadcast_shape(const Node& n, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t k = 0; k < rank; ++k) {
    const int64_t da = k + a.size() >= rank ? a[k + a.size() - rank] : 1;
    const int64_t db = k + b.size() >= rank ? b[k + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1)
      fail(n, "shapes " + shape_text(a) + " and " + shape_text(b) + " do not broadcast");
    out[k] = std::max(da, db);
  }
  return out;
}

// Strides of `shape` seen from the broadcast `out` shape (0 where broadcast).
Shape broadcast_strides(const Shape& shape, const Shape& out) {
  Shape strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    const size_t o = k + out.size() - shape.size();
    strides[o] = shape[k] == 1 ? 0 : stride;
    stride *= shape[k];
  }
  return strides;
}

// out[i] = f(a[ia], b[ib]) over the broadcast shape; the innermost dimension is a tight loop.
template <class A, class B, class O, class F>
void broadcast_apply(const Shape& out_shape, const Shape& sa, const Shape& sb, const A* a,
                     const B* b, O* out, F f) {
  const int64_t total = [&] {
    int64_t t = 1;
    for (int64_t d : out_shape) t *= d;
    return t;
  }();
  if (total == 0) return;
  const size_t rank = out_shape.size();
  if (rank == 0) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const int64_t inner = out_shape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
  Shape index(rank, 0);
  for (int64_t o = 0; o < total; o += inner) {
    int64_t pa = 0, pb = 0;
    for (size_t k = 0; k + 1 < rank; ++k) {
      pa += index[k] * sa[k];
      pb += index[k] * sb[k];
    }
    // The common strides as their own loops, which the compiler vectorises.
    if (ia == 1 && ib == 1) {
      for (int64_t j = 0; j < inner; ++j) out[o + j] = f(a[pa + j], b[pb + j]);
    } else if (ia == 1 && ib == 0) {
      const B bv = b[pb];
      for (int64_t j = 0; j < inner; ++j) out[o + j] = f(a[pa + j], bv);
    } else {
      for (int64_t j = 0; j < inner; ++j) out[o + j] = f(a[pa + j * ia], b[pb + j * ib]);
    }
    for (size_t k = rank - 1; k-- > 0;) {
      if (++index[k] < out_shape[k]) break;
      index[k] = 0;
    }
  }
}

template <class F>
Tensor float_binary(const Node& n, const std::vector<const Tensor*>& inputs, F f) {
  const Tensor& a = typed(n, inputs, 0, ElementType::kFloat);
  const Tensor& b = typed(n, inputs, 1, ElementType::kFloat);
  Tensor out = Tensor::floats(broadcast_shape(n, a.shape, b.shape));
  broadcast_apply(out.shape, broadcast_strides(a.shape, out.shape),
                  broadcast_strides(b.shape, out.shape), a.f.data(), b.f.data(), out.f.data(), f);
  return out;
}

// Elementwise float arithmetic; the lambdas are plain IEEE operations, as ONNX Runtime's.
Tensor arithmetic(const Node& n, const std::vector<const Tensor*>& inputs) {
  if (n.op == "Add") return float_binary(n, inputs, [](float x, float y) { return x + y; });
  if (n.op == "Sub") return float_binary(n, inputs, [](float x, float y) { return x - y; });
  if (n.op == "Mul") return float_binary(n, inputs, [](float x, float y) { return x * y; });
  return float_binary(n, inputs, [](float x, float y) { return x / y; });
}

Tensor unary(const Node& n, const std::vector<const Tensor*>& inputs, float (*f)(float)) {
  Tensor out = typed(n, inputs, 0, ElementType::kFloat);
  for (float& v : out.f) v = f(v);
  return out;
}

Tensor clip(const Node& n, const std::vector<const Tensor*>& inputs) {
  Tensor out = typed(n, inputs, 0, ElementType::kFloat);
  const float lo = inputs.size() > 1 && inputs[1] ? inputs[1]->f.at(0)
                                                  : -std::numeric_limits<float>::infinity();
  const float hi = inputs.size() > 2 && inputs[2] ? inputs[2]->f.at(0)
                                                  : std::numeric_limits<float>::infinity();
  for (float& v : out.f) v = std::min(std::max(v, lo), hi);
  return out;
}

Tensor greater_or_equal(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& a = typed(n, inputs, 0, ElementType::kFloat);
  const Tensor& b = typed(n, inputs, 1, ElementType::kFloat);
  Tensor out;
  out.type = ElementType::kBool;
  out.shape = broadcast_shape(n, a.shape, b.shape);
  out.u8.resize(static_cast<size_t>(out.numel()));
  broadcast_apply(out.shape, broadcast_strides(a.shape, out.shape),
                  broadcast_strides(b.shape, out.shape), a.f.data(), b.f.data(), out.u8.data(),
                  [](float x, float y) { return uint8_t(x >= y); });
  return out;
}

Tensor where(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& c = typed(n, inputs, 0, ElementType::kBool);
  const Tensor& x = typed(n, inputs, 1, ElementType::kFloat);
  const Tensor& y = typed(n, inputs, 2, ElementType::kFloat);
  if (x.numel() != 1 || y.numel() != 1) fail(n, "only scalar branches are supported");
  Tensor out = Tensor::floats(c.shape);
  for (size_t i = 0; i < out.f.size(); ++i) out.f[i] = c.u8[i] ? x.f[0] : y.f[0];
  return out;
}

// BitShift and Mod on uint8 (the unpacking of bit-planes).
Tensor uint8_binary(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& a = typed(n, inputs, 0, ElementType::kUInt8);
  const Tensor& b = typed(n, inputs, 1, ElementType::kUInt8);
  Tensor out;
  out.type = ElementType::kUInt8;
  out.shape = broadcast_shape(n, a.shape, b.shape);
  out.u8.resize(static_cast<size_t>(out.numel()));
  const auto sa = broadcast_strides(a.shape, out.shape), sb = broadcast_strides(b.shape, out.shape);
  if (n.op == "Mod") {
    if (n.attr("fmod", 0) != 0) fail(n, "fmod = 1 is not supported for integers");
    broadcast_apply(out.shape, sa, sb, a.u8.data(), b.u8.data(), out.u8.data(),
                    [](uint8_t x, uint8_t y) { return uint8_t(y ? x % y : 0); });
  } else {
    const auto it = n.strings.find("direction");
    if (it == n.strings.end()) fail(n, "no direction");
    const bool right = it->second == "RIGHT";
    broadcast_apply(out.shape, sa, sb, a.u8.data(), b.u8.data(), out.u8.data(),
                    [right](uint8_t x, uint8_t y) {
                      return uint8_t(y >= 8 ? 0 : right ? x >> y : x << y);
                    });
  }
  return out;
}

Tensor cast(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& a = in(n, inputs, 0);
  if (n.attr("to", 0) != 1) fail(n, "only casts to float are supported");
  Tensor out = Tensor::floats(a.shape);
  for (size_t i = 0; i < out.f.size(); ++i)
    out.f[i] = a.type == ElementType::kFloat   ? a.f[i]
               : a.type == ElementType::kInt64 ? float(a.i64[i])
                                               : float(a.u8[i]);
  return out;
}

Tensor reshape(const Node& n, const std::vector<const Tensor*>& inputs) {
  Tensor out = in(n, inputs, 0);
  const Tensor& s = typed(n, inputs, 1, ElementType::kInt64);
  Shape shape = s.i64;
  int64_t known = 1, infer = -1;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == 0) shape[k] = out.shape.at(k);
    if (shape[k] == -1)
      infer = static_cast<int64_t>(k);
    else
      known *= shape[k];
  }
  if (infer >= 0) shape[infer] = known ? out.numel() / known : 0;
  int64_t total = 1;
  for (int64_t d : shape) total *= d;
  if (total != out.numel())
    fail(n, "cannot reshape " + shape_text(out.shape) + " to " + shape_text(s.i64));
  out.shape = shape;
  return out;
}

Tensor flatten(const Node& n, const std::vector<const Tensor*>& inputs) {
  Tensor out = in(n, inputs, 0);
  const int64_t axis = n.attr("axis", 1);
  int64_t outer = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= out.shape.at(k);
  out.shape = {outer, outer ? out.numel() / outer : 0};
  return out;
}

Tensor matmul(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& a = typed(n, inputs, 0, ElementType::kFloat);
  const Tensor& b = typed(n, inputs, 1, ElementType::kFloat);
  if (a.shape.size() != 2 || b.shape.size() != 2 || a.shape[1] != b.shape[0])
    fail(n, "only 2-D products are supported, not " + shape_text(a.shape) + " x " +
                shape_text(b.shape));
  Tensor out = Tensor::floats({a.shape[0], b.shape[1]});
  sgemm(a.shape[0], b.shape[1], a.shape[1], a.f.data(), b.f.data(), false, out.f.data());
  return out;
}

Tensor gemm(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& a = typed(n, inputs, 0, ElementType::kFloat);
  const Tensor& b = typed(n, inputs, 1, ElementType::kFloat);
  if (n.attr("transA", 0) != 0 || n.attr("transB", 0) != 1 ||
      (inputs.size() > 2 && inputs[2]))
    fail(n, "only Gemm(A, B) with transB = 1 and no C is supported");
  if (a.shape.size() != 2 || b.shape.size() != 2 || a.shape[1] != b.shape[1])
    fail(n, "shapes " + shape_text(a.shape) + " and " + shape_text(b.shape) + " do not fit");
  Tensor out = Tensor::floats({a.shape[0], b.shape[0]});
  sgemm(a.shape[0], b.shape[0], a.shape[1], a.f.data(), b.f.data(), true, out.f.data());
  return out;
}

struct Window {
  int64_t kh, kw, sh, sw, top, left, bottom, right;
};

Window window(const Node& n, int64_t kh, int64_t kw) {
  const auto strides = n.attr_list("strides", {1, 1});
  const auto pads = n.attr_list("pads", {0, 0, 0, 0});
  const auto dilations = n.attr_list("dilations", {1, 1});
  if (strides.size() != 2 || pads.size() != 4) fail(n, "only 2-D windows are supported");
  if (dilations != Shape{1, 1}) fail(n, "dilations are not supported");
  if (n.attr("group", 1) != 1) fail(n, "grouped convolutions are not supported");
  if (n.strings.count("auto_pad") && n.strings.at("auto_pad") != "NOTSET")
    fail(n, "auto_pad is not supported");
  return {kh, kw, strides[0], strides[1], pads[0], pads[1], pads[2], pads[3]};
}

// Conv (NCHW, no bias): im2col of each image, then one matrix product with the weights.
Tensor conv(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& x = typed(n, inputs, 0, ElementType::kFloat);
  const Tensor& w = typed(n, inputs, 1, ElementType::kFloat);
  if (inputs.size() > 2 && inputs[2]) fail(n, "a bias input is not supported");
  if (x.shape.size() != 4 || w.shape.size() != 4 || w.shape[1] != x.shape[1])
    fail(n, "input " + shape_text(x.shape) + " does not fit weights " + shape_text(w.shape));
  const Window win = window(n, w.shape[2], w.shape[3]);
  const int64_t batch = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int64_t o = w.shape[0];
  const int64_t oh = (h + win.top + win.bottom - win.kh) / win.sh + 1;
  const int64_t ow = (wd + win.left + win.right - win.kw) / win.sw + 1;
  Tensor out = Tensor::floats({batch, o, oh, ow});
  const int64_t rows = c * win.kh * win.kw, cols = oh * ow;
  // im2col a band of output rows at a time, small enough to stay in cache while the matrix
  // product reads it (about 256 KiB) but at least 256 columns wide (narrower products run
  // slowly), the product writing straight into the output.
  const int64_t cache_rows = (256 << 10) / std::max<int64_t>(1, rows * ow * 4);
  const int64_t band = std::clamp<int64_t>(std::max(cache_rows, (256 + ow - 1) / ow), 1, oh);
  const int64_t width = band * ow;  // columns of a band
  // Every element is written below: no zero fill.
  const std::unique_ptr<float[]> col(new float[static_cast<size_t>(rows * width)]);
  for (int64_t b = 0; b < batch; ++b) {
    const float* image = x.f.data() + b * c * h * wd;
    for (int64_t y0 = 0; y0 < oh; y0 += band) {
      const int64_t y1 = std::min(oh, y0 + band);
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t ky = 0; ky < win.kh; ++ky)
          for (int64_t kx = 0; kx < win.kw; ++kx) {
            float* row = col.get() + ((ch * win.kh + ky) * win.kw + kx) * width;
            // Output columns whose input column is in bounds: xx * sw + kx - left in [0, wd).
            const int64_t shift = kx - win.left;
            const int64_t x0 = std::min(ow, shift >= 0 ? 0 : (-shift + win.sw - 1) / win.sw);
            const int64_t x1 = std::max(
                x0, std::min(ow, wd - 1 - shift >= 0 ? (wd - 1 - shift) / win.sw + 1 : 0));
            for (int64_t y = y0; y < y1; ++y) {
              const int64_t iy = y * win.sh + ky - win.top;
              float* dst = row + (y - y0) * ow;
              if (iy < 0 || iy >= h) {
                std::fill(dst, dst + ow, 0.0f);
                continue;
              }
              const float* src = image + (ch * h + iy) * wd + shift;
              std::fill(dst, dst + x0, 0.0f);
              if (win.sw == 1) {
                std::copy(src + x0, src + x1, dst + x0);
              } else {
                for (int64_t xx = x0; xx < x1; ++xx) dst[xx] = src[xx * win.sw];
              }
              std::fill(dst + x1, dst + ow, 0.0f);
            }
          }
      sgemm(o, (y1 - y0) * ow, rows, w.f.data(), rows, col.get(), width,
            out.f.data() + b * o * cols + y0 * ow, cols);
    }
  }
  return out;
}

Tensor max_pool(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& x = typed(n, inputs, 0, ElementType::kFloat);
  const auto kernel = n.attr_list("kernel_shape", {});
  if (kernel.size() != 2 || x.shape.size() != 4) fail(n, "only 2-D pools are supported");
  if (n.attr("storage_order", 0) != 0) fail(n, "storage_order is not supported");
  const Window win = window(n, kernel[0], kernel[1]);
  const bool ceil_mode = n.attr("ceil_mode", 0) != 0;
  auto out_size = [&](int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1) {
    const double v = double(in + p0 + p1 - k) / s;
    return int64_t(ceil_mode ? std::ceil(v) : std::floor(v)) + 1;
  };
  const int64_t batch = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int64_t oh = out_size(h, win.kh, win.sh, win.top, win.bottom);
  const int64_t ow = out_size(wd, win.kw, win.sw, win.left, win.right);
  Tensor out = Tensor::floats_for_overwrite({batch, c, oh, ow});
  // Per output row: the maximum over the window's in-bounds input rows, column by column (a
  // loop over contiguous floats), then over each window's in-bounds columns of that.
  std::vector<float> column_max(static_cast<size_t>(wd));
  for (int64_t p = 0; p < batch * c; ++p)
    for (int64_t y = 0; y < oh; ++y) {
      const int64_t iy0 = y * win.sh - win.top;
      const int64_t ky0 = std::max<int64_t>(0, -iy0), ky1 = std::min(win.kh, h - iy0);
      std::fill(column_max.begin(), column_max.end(), -std::numeric_limits<float>::infinity());
      for (int64_t ky = ky0; ky < ky1; ++ky) {
        const float* row = x.f.data() + (p * h + iy0 + ky) * wd;
        for (int64_t ix = 0; ix < wd; ++ix)
          column_max[ix] = row[ix] > column_max[ix] ? row[ix] : column_max[ix];
      }
      // Then kernel column by kernel column, each over the outputs whose window holds it in
      // bounds: a loop over contiguous outputs (vectorised), where one per output was not.
      float* dst = out.f.data() + (p * oh + y) * ow;
      std::fill(dst, dst + ow, -std::numeric_limits<float>::infinity());
      for (int64_t kx = 0; kx < win.kw; ++kx) {
        // Outputs xx with 0 <= xx sw - left + kx < wd.
        const int64_t lo = std::max<int64_t>(0, (win.left - kx + win.sw - 1) / win.sw);
        const int64_t last = wd - 1 + win.left - kx;  // xx sw <= last
        const int64_t hi = last < 0 ? 0 : std::min(ow, last / win.sw + 1);
        const int64_t offset = kx - win.left;  // input column of output xx: xx sw + offset
        for (int64_t xx = lo; xx < hi; ++xx)
          dst[xx] = std::max(dst[xx], column_max[xx * win.sw + offset]);
      }
    }
  return out;
}

Tensor global_average_pool(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& x = typed(n, inputs, 0, ElementType::kFloat);
  if (x.shape.size() != 4) fail(n, "only 4-D inputs are supported");
  const int64_t planes = x.shape[0] * x.shape[1], size = x.shape[2] * x.shape[3];
  Tensor out = Tensor::floats({x.shape[0], x.shape[1], 1, 1});
  for (int64_t p = 0; p < planes; ++p) {
    float sum = 0;
    for (int64_t i = 0; i < size; ++i) sum += x.f[p * size + i];
    out.f[p] = sum / float(size);
  }
  return out;
}

Tensor concat(const Node& n, const std::vector<const Tensor*>& inputs) {
  const int64_t axis = n.attr("axis", 0);
  const Tensor& first = typed(n, inputs, 0, ElementType::kFloat);
  if (axis != 1 || first.shape.size() < 2) fail(n, "only channel concatenation is supported");
  Shape shape = first.shape;
  shape[1] = 0;
  for (size_t i = 0; i < inputs.size(); ++i) shape[1] += typed(n, inputs, i, ElementType::kFloat).shape.at(1);
  Tensor out = Tensor::floats(shape);
  const int64_t batch = shape[0], inner = first.numel() / (first.shape[0] * first.shape[1]);
  for (int64_t b = 0; b < batch; ++b) {
    float* dst = out.f.data() + b * shape[1] * inner;
    for (const Tensor* t : inputs) {
      const int64_t chunk = t->shape[1] * inner;
      std::copy_n(t->f.data() + b * chunk, chunk, dst);
      dst += chunk;
    }
  }
  return out;
}

// Slice with constant starts/ends/axes/steps (positive steps).
Tensor slice(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& x = in(n, inputs, 0);
  const Shape starts = typed(n, inputs, 1, ElementType::kInt64).i64;
  const Shape ends = typed(n, inputs, 2, ElementType::kInt64).i64;
  Shape axes(starts.size()), steps(starts.size(), 1);
  for (size_t k = 0; k < axes.size(); ++k) axes[k] = static_cast<int64_t>(k);
  if (inputs.size() > 3 && inputs[3]) axes = inputs[3]->i64;
  if (inputs.size() > 4 && inputs[4]) steps = inputs[4]->i64;
  const size_t rank = x.shape.size();
  Shape begin(rank, 0), step(rank, 1), count = x.shape;
  for (size_t k = 0; k < axes.size(); ++k) {
    const int64_t a = axes[k] < 0 ? axes[k] + int64_t(rank) : axes[k];
    if (a < 0 || a >= int64_t(rank) || steps[k] <= 0) fail(n, "unsupported axes or steps");
    const int64_t dim = x.shape[a];
    auto clampi = [dim](int64_t v) { return std::clamp(v < 0 ? v + dim : v, int64_t{0}, dim); };
    const int64_t s = clampi(starts[k]), e = clampi(ends[k]);
    begin[a] = s;
    step[a] = steps[k];
    count[a] = e > s ? (e - s + steps[k] - 1) / steps[k] : 0;
  }
  Tensor out;
  out.type = x.type;
  out.shape = count;
  const int64_t total = out.numel();
  Shape src_strides(rank, 1);
  for (size_t k = rank; k-- > 1;) src_strides[k - 1] = src_strides[k] * x.shape[k];
  std::vector<int64_t> index(rank, 0);
  auto copy = [&](auto& dst, const auto& src) {
    dst.resize(static_cast<size_t>(total));
    for (int64_t o = 0; o < total; ++o) {
      int64_t p = 0;
      for (size_t k = 0; k < rank; ++k) p += (begin[k] + index[k] * step[k]) * src_strides[k];
      dst[o] = src[p];
      for (size_t k = rank; k-- > 0;) {
        if (++index[k] < count[k]) break;
        index[k] = 0;
      }
    }
  };
  if (x.type == ElementType::kFloat) copy(out.f, x.f);
  else if (x.type == ElementType::kInt64) copy(out.i64, x.i64);
  else copy(out.u8, x.u8);
  return out;
}

// Pad: constant zeros of a 4-D float tensor (channel padding of identity shortcuts).
Tensor pad(const Node& n, const std::vector<const Tensor*>& inputs) {
  const Tensor& x = typed(n, inputs, 0, ElementType::kFloat);
  const Shape pads = typed(n, inputs, 1, ElementType::kInt64).i64;
  if (n.strings.count("mode") && n.strings.at("mode") != "constant")
    fail(n, "only constant padding is supported");
  if (inputs.size() > 2 && inputs[2] && inputs[2]->f.at(0) != 0.0f)
    fail(n, "only zero padding is supported");
  const size_t rank = x.shape.size();
  if (pads.size() != 2 * rank) fail(n, "pads do not fit the input's rank");
  Shape shape(rank);
  for (size_t k = 0; k < rank; ++k) {
    if (pads[k] < 0 || pads[k + rank] < 0) fail(n, "negative pads are not supported");
    shape[k] = x.shape[k] + pads[k] + pads[k + rank];
  }
  Tensor out = Tensor::floats(shape);
  std::vector<int64_t> index(rank, 0);
  Shape out_strides(rank, 1);
  for (size_t k = rank; k-- > 1;) out_strides[k - 1] = out_strides[k] * shape[k];
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t p = 0;
    for (size_t k = 0; k < rank; ++k) p += (index[k] + pads[k]) * out_strides[k];
    out.f[p] = x.f[i];
    for (size_t k = rank; k-- > 0;) {
      if (++index[k] < x.shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

using Kernel = std::function<Tensor(const Node&, const std::vector<const Tensor*>&)>;

const std::map<std::string, Kernel>& kernels() {
  static const std::map<std::string, Kernel> k = {
      {"Add", arithmetic},
      {"Sub", arithmetic},
      {"Mul", arithmetic},
      {"Div", arithmetic},
      {"Relu", [](const Node& n, const auto& i) {
         return unary(n, i, [](float v) { return v > 0 ? v : 0.0f; });
       }},
      {"Floor", [](const Node& n, const auto& i) {
         return unary(n, i, [](float v) { return std::floor(v); });
       }},
      {"Clip", clip},
      {"GreaterOrEqual", greater_or_equal},
      {"Where", where},
      {"BitShift", uint8_binary},
      {"Mod", uint8_binary},
      {"Cast", cast},
      {"Reshape", reshape},
      {"Flatten", flatten},
      {"MatMul", matmul},
      {"Gemm", gemm},
      {"Conv", conv},
      {"MaxPool", max_pool},
      {"GlobalAveragePool", global_average_pool},
      {"Concat", concat},
      {"Slice", slice},
      {"Pad", pad},
  };
  return k;
}

}  // namespace

const std::vector<std::string>& supported_ops() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, kernel] : kernels()) v.push_back(name);
    return v;
  }();
  return names;
}

std::vector<Tensor> run_op(const Node& node, const std::vector<const Tensor*>& inputs) {
  const auto it = kernels().find(node.op);
  if (it == kernels().end()) {
    std::string names;
    for (const auto& s : supported_ops()) names += (names.empty() ? "" : ", ") + s;
    fail(node, "operator not supported by the runtime (it runs " + names + ")");
  }
  return {it->second(node, inputs)};
}

HYBRIDNET_VECTOR_CLONES void add_in_place(float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] += b[i];
}

}  // namespace hybridnet::models::runtime
