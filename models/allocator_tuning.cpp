#include "models/allocator_tuning.h"

#include <malloc.h>

namespace hybridnet::models {

void keep_freed_tensor_memory() {
  // 32 MiB is glibc's largest mmap threshold on 64-bit (blocks above it are still mapped);
  // trimming only beyond 512 MiB of free memory at the top of a heap.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

}  // namespace hybridnet::models
