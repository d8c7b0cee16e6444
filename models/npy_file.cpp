#include "models/npy_file.h"

#include <cstring>

#include "models/atomic_file.h"
#include "models/error.h"

namespace hybridnet::models {

std::string npy_bytes(const std::vector<int64_t>& shape, const std::vector<float>& values) {
  int64_t count = 1;
  std::string dims;
  for (int64_t d : shape) {
    count *= d;
    dims += std::to_string(d) + ", ";
  }
  if (count != static_cast<int64_t>(values.size()))
    throw ConfigError("npy: shape holds " + std::to_string(count) + " values, not " +
                      std::to_string(values.size()));
  if (shape.size() > 1) dims.resize(dims.size() - 2);  // (3,) for one dimension, (3, 4) else
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + header length (2) + header + '\n', padded to a multiple of 64.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  const size_t at = out.size();
  out.resize(at + values.size() * 4);
  std::memcpy(&out[at], values.data(), values.size() * 4);  // x86 and ARM: little-endian
  return out;
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape,
               const std::vector<float>& values) {
  write_file_atomic(path, npy_bytes(shape, values));
}

}  // namespace hybridnet::models
