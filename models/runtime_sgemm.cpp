#include "models/runtime_sgemm.h"

#include <cblas.h>

#include <mutex>
#include <string>

namespace hybridnet::models::runtime {

namespace {

void single_threaded_blas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

}  // namespace

void sgemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, bool transpose_b,
           float* c) {
  if (m == 0 || n == 0) return;
  single_threaded_blas();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, int(m), int(n),
              int(k), 1.0f, a, int(k), b, transpose_b ? int(k) : int(n), 0.0f, c, int(n));
}

void sgemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  single_threaded_blas();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f, a,
              int(lda), b, int(ldb), 0.0f, c, int(ldc));
}

const char* sgemm_library() {
  static const std::string name = [] {
    const std::string config = openblas_get_config();  // "OpenBLAS 0.3.21 NO_LAPACKE ..."
    return config.substr(0, config.find(' ', config.find(' ') + 1)) + " (" +
           openblas_get_corename() + ")";
  }();
  return name.c_str();
}

}  // namespace hybridnet::models::runtime
