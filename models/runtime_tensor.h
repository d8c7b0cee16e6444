// The deployment runtime's tensors: a shape and row-major data of one element type. Activations
// are float; shapes, indices and packed bits come as int64 and uint8 constants; comparisons give
// bool (stored as uint8). No torch: the runtime links only the torch-free core.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "models/runtime_memory.h"

namespace hybridnet::models::runtime {

/// A tensor's floats: cached activation memory, unset on resize (runtime_memory.h).
using FloatBuffer = std::vector<float, ActivationAllocator<float>>;
/// A tensor's floats against plain values (tests, checks).
inline bool operator==(const FloatBuffer& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

enum class ElementType { kFloat, kInt64, kUInt8, kBool };
const char* to_string(ElementType type);

struct Tensor {
  ElementType type = ElementType::kFloat;
  std::vector<int64_t> shape;
  FloatBuffer f;             ///< kFloat
  std::vector<int64_t> i64;  ///< kInt64
  std::vector<uint8_t> u8;   ///< kUInt8 and kBool

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  static Tensor floats(std::vector<int64_t> shape) {
    Tensor t;
    t.shape = std::move(shape);
    t.f.assign(static_cast<size_t>(t.numel()), 0.0f);
    return t;
  }
  /// Floats left unset, for an output its kernel writes in full.
  static Tensor floats_for_overwrite(std::vector<int64_t> shape) {
    Tensor t;
    t.shape = std::move(shape);
    t.f.resize(static_cast<size_t>(t.numel()));
    return t;
  }
};

/// "[1, 16, 28, 28]", for error messages.
std::string shape_text(const std::vector<int64_t>& shape);

}  // namespace hybridnet::models::runtime
