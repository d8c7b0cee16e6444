// The runtime's memory for activations: large blocks freed by one run are kept for the next, as
// ONNX Runtime's arena does. Each run of a network allocates the same activation sizes again,
// and fresh large blocks come from the kernel as untouched pages whose first writes fault:
// before this cache, page faults took three quarters of XNOR ResNet-18's time at batch 32.
// No torch.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace hybridnet::models::runtime {

/// Blocks of at least this many bytes are cached; smaller ones come and go through the heap.
constexpr size_t kCachedBlockBytes = size_t{1} << 16;
/// The most bytes a thread keeps in free blocks; blocks freed past it go back to the system.
constexpr size_t kBlockCacheBytes = size_t{1} << 30;

/// `bytes` of memory aligned to 64 bytes: a free cached block of exactly that size when this
/// thread has one, new memory otherwise.
void* acquire_block(size_t bytes);
/// Returns a block from acquire_block: into this thread's cache while it holds under
/// kBlockCacheBytes, to the system otherwise.
void release_block(void* block, size_t bytes) noexcept;
/// Bytes this thread holds in free cached blocks (tests).
size_t cached_block_bytes() noexcept;
/// Gives this thread's free cached blocks back to the system: after loading a model, whose
/// float weights, freed once packed as bits, would otherwise stay resident.
void release_cached_blocks() noexcept;

/// An allocator on acquire_block and release_block whose resize() leaves new elements unset:
/// a layer's output is written in full by its kernel, and zero-filling it first cost a quarter
/// of a fast binary layer's time (the filling misses the cache as much as the writing).
template <class T>
struct ActivationAllocator {
  using value_type = T;
  ActivationAllocator() = default;
  template <class U>
  ActivationAllocator(const ActivationAllocator<U>&) noexcept {}
  T* allocate(size_t n) { return static_cast<T*>(acquire_block(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { release_block(p, n * sizeof(T)); }
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const ActivationAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const ActivationAllocator<U>&) const noexcept {
    return false;
  }
};

}  // namespace hybridnet::models::runtime
