// The runtime's float matrix product: OpenBLAS's sgemm (Debian's libopenblas, which picks its
// kernels for the CPU at run time), one thread per call: the runtime spreads work over threads
// itself (TBB), so nested BLAS threads would only oversubscribe the cores. No torch.
#pragma once

#include <cstdint>

namespace hybridnet::models::runtime {

/// c = a * b, row-major: a [m][k]; b [k][n], or [n][k] with `transpose_b`; c [m][n].
void sgemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, bool transpose_b,
           float* c);
/// The same with row strides: a [m][k] (lda), b [k][n] (ldb), c [m][n] (ldc).
void sgemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float* c, int64_t ldc);

/// "OpenBLAS <version and core>", for the runtime's report of the kernels it runs.
const char* sgemm_library();

}  // namespace hybridnet::models::runtime
