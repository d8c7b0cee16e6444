// Work done ahead on a thread of its own: item i of `count` is made by `make(i)` in order and
// queued, at most `depth` ahead of the consumer, so that making the next item (decoding a batch
// of images) overlaps with using the current one (a training step). An exception in `make`
// reaches the consumer at the item it was thrown for. Torch-free.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace hybridnet::models {

template <class T>
class Prefetcher {
 public:
  Prefetcher(int64_t count, std::function<T(int64_t)> make, size_t depth)
      : count_(count), depth_(depth < 1 ? 1 : depth), make_(std::move(make)),
        worker_([this] { produce(); }) {}
  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  /// The next item; blocks until it is made. Rethrows what making it threw.
  T next() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (taken_ >= count_) throw std::logic_error("Prefetcher: every item was taken");
    changed_.wait(lock, [&] { return !queue_.empty() || error_; });
    if (queue_.empty()) std::rethrow_exception(error_);
    T item = std::move(queue_.front());
    queue_.pop_front();
    ++taken_;
    changed_.notify_all();
    return item;
  }

 private:
  void produce() {
    for (int64_t i = 0; i < count_; ++i) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || queue_.size() < depth_; });
        if (stopping_) return;
      }
      try {
        T item = make_(i);
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(item));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::current_exception();
        changed_.notify_all();
        return;
      }
      changed_.notify_all();
    }
  }

  const int64_t count_;
  const size_t depth_;
  std::function<T(int64_t)> make_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<T> queue_;
  std::exception_ptr error_;
  int64_t taken_ = 0;
  bool stopping_ = false;
  std::thread worker_;  // last: starts after every other member exists
};

}  // namespace hybridnet::models
