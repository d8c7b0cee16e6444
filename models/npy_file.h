// NumPy's .npy format (version 1.0, little-endian float32, C order): how `hybridnet evaluate
// --logits` hands per-image outputs to other tools (numpy.load reads it; so do the ONNX
// verification scripts in tests/onnx).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hybridnet::models {

/// The .npy file contents of a float32 array of `shape` (values row-major).
std::string npy_bytes(const std::vector<int64_t>& shape, const std::vector<float>& values);

/// Writes them to `path` atomically; DataError naming the path on failure.
void write_npy(const std::string& path, const std::vector<int64_t>& shape,
               const std::vector<float>& values);

}  // namespace hybridnet::models
