// The binary runtime's inner product: mismatch counts of bit-packed rows against bit-packed
// columns, sum_k popcount(a[r][k] XOR b[k][c]), one kernel per instruction set, chosen by the
// CPU at run time (cpuid), each with the same result. No torch.
#pragma once

#include <cstdint>
#include <string>

namespace hybridnet::models::runtime {

/// Which kernels compute the popcounts of binary convolutions.
enum class KernelSet {
  kReference,  ///< the convolutions' plain reference: +-1 (or u v) products summed one by one
  kScalar,     ///< bit-packed receptive fields, portable (bit-twiddling) popcount
  kPopcnt,     ///< ... the x86 popcnt instruction, 64 bits at a time
  kAvx2,       ///< ... AVX2, 256 bits at a time, popcount by nibble lookup (vpshufb)
  kAvx512,     ///< ... AVX-512 with VPOPCNTDQ, 512 bits at a time
};

/// "reference", "scalar", "popcnt", "avx2", "avx512".
const char* to_string(KernelSet set);
/// The set named `name` ("auto" = best_kernel_set()); ConfigError naming the choices, or the
/// instruction set this CPU lacks.
KernelSet kernel_set_from_name(const std::string& name);
/// Whether this CPU runs `set` (cpuid).
bool cpu_supports(KernelSet set);
/// The fastest set this CPU runs: avx512, then avx2, then popcnt, then scalar.
KernelSet best_kernel_set();

/// Columns of the `b` operand are padded to a multiple of this (zero words).
constexpr int64_t kColumnBlock = 16;

/// counts[r * cols + c] = sum over k < words of popcount(a[r * words + k] ^ b[k * cols + c]),
/// for r < rows and c < cols; `cols` is a multiple of kColumnBlock. kReference computes it as
/// kScalar does (the per-tap reference is the convolution's, not the product's).
void mismatch_counts(KernelSet set, const uint64_t* a, int64_t rows, int64_t words,
                     const uint64_t* b, int64_t cols, int32_t* counts);

}  // namespace hybridnet::models::runtime
