#pragma once
// glibc malloc tuning for training: keep freed tensor memory in the process.
namespace hybridnet::models {

/// By default glibc returns every large block (activations, gradients: a few hundred KiB to
/// MiBs) to the kernel on free and maps it again on the next step; with two trainings at once
/// this cost 4.5M page faults and a fifth of the CPU time in bench_sweep. Raising the mmap and
/// trim thresholds lets malloc reuse the memory instead. Call once at program start.
void keep_freed_tensor_memory();

}  // namespace hybridnet::models
