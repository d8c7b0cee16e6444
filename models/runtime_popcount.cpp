#include "models/runtime_popcount.h"

#include <algorithm>
#include <vector>

#include "models/error.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace hybridnet::models::runtime {

const char* to_string(KernelSet set) {
  switch (set) {
    case KernelSet::kReference:
      return "reference";
    case KernelSet::kScalar:
      return "scalar";
    case KernelSet::kPopcnt:
      return "popcnt";
    case KernelSet::kAvx2:
      return "avx2";
    case KernelSet::kAvx512:
      return "avx512";
  }
  return "?";
}

bool cpu_supports(KernelSet set) {
#if defined(__x86_64__)
  switch (set) {
    case KernelSet::kPopcnt:
      return __builtin_cpu_supports("popcnt");
    case KernelSet::kAvx2:
      return __builtin_cpu_supports("avx2");
    case KernelSet::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
    default:
      return true;
  }
#else
  return set == KernelSet::kReference || set == KernelSet::kScalar;
#endif
}

KernelSet best_kernel_set() {
  for (KernelSet s : {KernelSet::kAvx512, KernelSet::kAvx2, KernelSet::kPopcnt})
    if (cpu_supports(s)) return s;
  return KernelSet::kScalar;
}

KernelSet kernel_set_from_name(const std::string& name) {
  if (name == "auto") return best_kernel_set();
  for (KernelSet s : {KernelSet::kReference, KernelSet::kScalar, KernelSet::kPopcnt,
                      KernelSet::kAvx2, KernelSet::kAvx512})
    if (name == to_string(s)) {
      if (!cpu_supports(s))
        throw ConfigError(std::string("kernel set ") + name + ": this CPU lacks " +
                          (s == KernelSet::kAvx512 ? "AVX-512 VPOPCNTDQ" : name.c_str()));
      return s;
    }
  throw ConfigError("kernel set " + name +
                    ": not one of auto, avx512, avx2, popcnt, scalar, reference");
}

namespace {

int portable_popcount(uint64_t v) {
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<int>((v * 0x0101010101010101ULL) >> 56);
}

// R rows by 4 columns at a time, 64 bits per step; `Pop` decides the instruction.
template <int R, int (*Pop)(uint64_t)>
inline void scalar_tile(const uint64_t* a, int64_t words, const uint64_t* b, int64_t cols,
                        int32_t* counts) {
  for (int64_t c = 0; c < cols; c += 4) {
    int32_t acc[R][4] = {};
    for (int64_t k = 0; k < words; ++k) {
      const uint64_t* bk = b + k * cols + c;
      for (int i = 0; i < R; ++i) {
        const uint64_t av = a[i * words + k];
        for (int j = 0; j < 4; ++j) acc[i][j] += Pop(av ^ bk[j]);
      }
    }
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < 4; ++j) counts[i * cols + c + j] = acc[i][j];
  }
}

template <int (*Pop)(uint64_t)>
inline void scalar_counts(const uint64_t* a, int64_t rows, int64_t words, const uint64_t* b,
                          int64_t cols, int32_t* counts) {
  int64_t r = 0;
  for (; r + 2 <= rows; r += 2)
    scalar_tile<2, Pop>(a + r * words, words, b, cols, counts + r * cols);
  for (; r < rows; ++r) scalar_tile<1, Pop>(a + r * words, words, b, cols, counts + r * cols);
}

#if defined(__x86_64__)

// The popcnt instruction, 64 bits per step. Its own copy of scalar_tile: a function compiled
// for popcnt cannot be inlined into one that is not, and a call per word would cost more than
// the count.
template <int R>
__attribute__((target("popcnt"))) inline void popcnt_tile(const uint64_t* a, int64_t words,
                                                          const uint64_t* b, int64_t cols,
                                                          int32_t* counts) {
  for (int64_t c = 0; c < cols; c += 4) {
    int64_t acc[R][4] = {};
    for (int64_t k = 0; k < words; ++k) {
      const uint64_t* bk = b + k * cols + c;
      for (int i = 0; i < R; ++i) {
        const uint64_t av = a[i * words + k];
        for (int j = 0; j < 4; ++j) acc[i][j] += int64_t(_mm_popcnt_u64(av ^ bk[j]));
      }
    }
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < 4; ++j) counts[i * cols + c + j] = int32_t(acc[i][j]);
  }
}

__attribute__((target("popcnt"))) void popcnt_counts(const uint64_t* a, int64_t rows, int64_t words,
                                                     const uint64_t* b, int64_t cols,
                                                     int32_t* counts) {
  int64_t r = 0;
  for (; r + 2 <= rows; r += 2) popcnt_tile<2>(a + r * words, words, b, cols, counts + r * cols);
  for (; r < rows; ++r) popcnt_tile<1>(a + r * words, words, b, cols, counts + r * cols);
}

// AVX2 has no vector popcount: each byte's count is the sum of a 16-entry table looked up by
// its two nibbles (vpshufb); byte counts add up for at most 31 words (31 * 8 < 256) before
// vpsadbw sums them into 64-bit lanes. XOR commutes with taking nibbles, so the nibbles are
// split before the XOR: the rows' (filters') words once per call, the columns' once per load
// and shared by the R rows of a tile, leaving 6 operations per vector (2 XOR, 2 lookups, 2
// adds) instead of 8. R rows by 8 columns (two vectors) at a time.
template <int R>
__attribute__((target("avx2"))) inline void avx2_tile(const uint64_t* a_lo, const uint64_t* a_hi,
                                                      int64_t words, const uint64_t* b,
                                                      int64_t cols, int32_t* counts) {
  const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                         1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i zero = _mm256_setzero_si256();
  for (int64_t c = 0; c < cols; c += 8) {
    __m256i total[R][2];
    for (int i = 0; i < R; ++i) total[i][0] = total[i][1] = zero;
    for (int64_t k0 = 0; k0 < words; k0 += 31) {
      const int64_t k1 = std::min(words, k0 + 31);
      __m256i bytes[R][2];
      for (int i = 0; i < R; ++i) bytes[i][0] = bytes[i][1] = zero;
      for (int64_t k = k0; k < k1; ++k) {
        const auto* bk = reinterpret_cast<const __m256i*>(b + k * cols + c);
        const __m256i b0 = _mm256_loadu_si256(bk), b1 = _mm256_loadu_si256(bk + 1);
        const __m256i b0_lo = _mm256_and_si256(b0, nibble);
        const __m256i b1_lo = _mm256_and_si256(b1, nibble);
        const __m256i b0_hi = _mm256_and_si256(_mm256_srli_epi16(b0, 4), nibble);
        const __m256i b1_hi = _mm256_and_si256(_mm256_srli_epi16(b1, 4), nibble);
        for (int i = 0; i < R; ++i) {
          const __m256i lo = _mm256_set1_epi64x(static_cast<long long>(a_lo[i * words + k]));
          const __m256i hi = _mm256_set1_epi64x(static_cast<long long>(a_hi[i * words + k]));
          bytes[i][0] = _mm256_add_epi8(
              bytes[i][0], _mm256_add_epi8(_mm256_shuffle_epi8(table, _mm256_xor_si256(lo, b0_lo)),
                                           _mm256_shuffle_epi8(table, _mm256_xor_si256(hi, b0_hi))));
          bytes[i][1] = _mm256_add_epi8(
              bytes[i][1], _mm256_add_epi8(_mm256_shuffle_epi8(table, _mm256_xor_si256(lo, b1_lo)),
                                           _mm256_shuffle_epi8(table, _mm256_xor_si256(hi, b1_hi))));
        }
      }
      for (int i = 0; i < R; ++i)
        for (int j = 0; j < 2; ++j)
          total[i][j] = _mm256_add_epi64(total[i][j], _mm256_sad_epu8(bytes[i][j], zero));
    }
    // Each count fits its lane's low 32 bits: the low halves of both vectors' lanes, in
    // order, make one store of 8 counts.
    const __m256i low_halves = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    for (int i = 0; i < R; ++i) {
      const __m256i v0 = _mm256_permutevar8x32_epi32(total[i][0], low_halves);
      const __m256i v1 = _mm256_permutevar8x32_epi32(total[i][1], low_halves);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(counts + i * cols + c),
                          _mm256_permute2x128_si256(v0, v1, 0x20));
    }
  }
}

__attribute__((target("avx2"))) void avx2_counts(const uint64_t* a, int64_t rows, int64_t words,
                                                 const uint64_t* b, int64_t cols, int32_t* counts) {
  constexpr uint64_t kLow = 0x0f0f0f0f0f0f0f0fULL;
  // Called once per block of 64 pixels: the split filters reuse this thread's buffers.
  thread_local std::vector<uint64_t> a_lo, a_hi;
  a_lo.resize(static_cast<size_t>(rows * words));
  a_hi.resize(a_lo.size());
  for (size_t i = 0; i < a_lo.size(); ++i) {
    a_lo[i] = a[i] & kLow;
    a_hi[i] = (a[i] >> 4) & kLow;
  }
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4)
    avx2_tile<4>(a_lo.data() + r * words, a_hi.data() + r * words, words, b, cols,
                 counts + r * cols);
  for (; r < rows; ++r)
    avx2_tile<1>(a_lo.data() + r * words, a_hi.data() + r * words, words, b, cols,
                 counts + r * cols);
}

// AVX-512 VPOPCNTDQ: a 64-bit popcount per lane. R rows by 16 columns (two vectors) at a time.
template <int R>
__attribute__((target("avx512f,avx512vpopcntdq"))) inline void avx512_tile(
    const uint64_t* a, int64_t words, const uint64_t* b, int64_t cols, int32_t* counts) {
  for (int64_t c = 0; c < cols; c += 16) {
    __m512i acc[R][2];
    for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_si512();
    for (int64_t k = 0; k < words; ++k) {
      const uint64_t* bk = b + k * cols + c;
      const __m512i b0 = _mm512_loadu_si512(bk), b1 = _mm512_loadu_si512(bk + 8);
      for (int i = 0; i < R; ++i) {
        const __m512i av = _mm512_set1_epi64(static_cast<long long>(a[i * words + k]));
        acc[i][0] = _mm512_add_epi64(acc[i][0], _mm512_popcnt_epi64(_mm512_xor_si512(av, b0)));
        acc[i][1] = _mm512_add_epi64(acc[i][1], _mm512_popcnt_epi64(_mm512_xor_si512(av, b1)));
      }
    }
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < 2; ++j)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(counts + i * cols + c + 8 * j),
                            _mm512_cvtepi64_epi32(acc[i][j]));
  }
}

__attribute__((target("avx512f,avx512vpopcntdq"))) void avx512_counts(const uint64_t* a,
                                                                      int64_t rows, int64_t words,
                                                                      const uint64_t* b,
                                                                      int64_t cols,
                                                                      int32_t* counts) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) avx512_tile<4>(a + r * words, words, b, cols, counts + r * cols);
  for (; r < rows; ++r) avx512_tile<1>(a + r * words, words, b, cols, counts + r * cols);
}

#endif

}  // namespace

void mismatch_counts(KernelSet set, const uint64_t* a, int64_t rows, int64_t words,
                     const uint64_t* b, int64_t cols, int32_t* counts) {
  if (cols % kColumnBlock != 0)
    throw ConfigError("mismatch counts: " + std::to_string(cols) + " columns, not a multiple of " +
                      std::to_string(kColumnBlock));
  if (!cpu_supports(set))
    throw ConfigError(std::string("kernel set ") + to_string(set) + ": not supported by this CPU");
  switch (set) {
#if defined(__x86_64__)
    case KernelSet::kAvx512:
      return avx512_counts(a, rows, words, b, cols, counts);
    case KernelSet::kAvx2:
      return avx2_counts(a, rows, words, b, cols, counts);
    case KernelSet::kPopcnt:
      return popcnt_counts(a, rows, words, b, cols, counts);
#endif
    default:
      return scalar_counts<portable_popcount>(a, rows, words, b, cols, counts);
  }
}

}  // namespace hybridnet::models::runtime
