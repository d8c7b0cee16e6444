#include "models/runtime_memory.h"

#include <new>
#include <vector>

namespace hybridnet::models::runtime {

namespace {

constexpr std::align_val_t kAlignment{64};

// Set when this thread's cache has been destroyed (at thread exit): a tensor freed later, a
// static one say, goes straight back to the system. A plain bool is never destroyed.
thread_local bool cache_gone = false;

// This thread's free blocks, found by exact size: a network's runs repeat their sizes.
struct BlockCache {
  std::vector<std::pair<size_t, void*>> free;
  size_t bytes = 0;
  ~BlockCache() {
    clear();
    cache_gone = true;
  }
  void clear() noexcept {
    for (const auto& [size, block] : free) ::operator delete(block, size, kAlignment);
    free.clear();
    bytes = 0;
  }
};

BlockCache& cache() {
  thread_local BlockCache c;
  return c;
}

}  // namespace

void* acquire_block(size_t bytes) {
  if (bytes >= kCachedBlockBytes && !cache_gone) {
    BlockCache& c = cache();
    for (size_t i = 0; i < c.free.size(); ++i)
      if (c.free[i].first == bytes) {
        void* block = c.free[i].second;
        c.free[i] = c.free.back();
        c.free.pop_back();
        c.bytes -= bytes;
        return block;
      }
  }
  return ::operator new(bytes, kAlignment);
}

void release_block(void* block, size_t bytes) noexcept {
  if (!block) return;
  if (bytes >= kCachedBlockBytes && !cache_gone) {
    BlockCache& c = cache();
    if (c.bytes + bytes <= kBlockCacheBytes) {
      try {
        c.free.emplace_back(bytes, block);
        c.bytes += bytes;
        return;
      } catch (...) {  // no room to note it: give it back
      }
    }
  }
  ::operator delete(block, bytes, kAlignment);
}

size_t cached_block_bytes() noexcept { return cache_gone ? 0 : cache().bytes; }

void release_cached_blocks() noexcept {
  if (!cache_gone) cache().clear();
}

}  // namespace hybridnet::models::runtime
