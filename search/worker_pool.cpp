#include "search/worker_pool.h"

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace hybridnet::search {

namespace {

class Pool {
 public:
  Pool(Scheduler& scheduler, TrialRunner& runner, const WorkerPoolOptions& o)
      : scheduler_(scheduler), runner_(runner), o_(o) {
    stop_ = [this]() -> std::string {
      if (aborted_) return "another worker hit a store error";
      return o_.stop ? o_.stop() : std::string();
    };
  }

  PoolCounts run() {
    tbb::task_arena arena(o_.jobs);
    arena.execute([&] {
      tbb::task_group group;
      for (int i = 0; i < o_.jobs; ++i) group.run([this] { guarded_loop(); });
      group.wait();
    });
    if (error_) std::rethrow_exception(error_);
    PoolCounts c;
    c.started = started_;
    c.done = done_;
    c.failed = failed_;
    c.interrupted = interrupted_;
    c.lost = lost_;
    c.stopped = stopped_;
    c.limit_hit = limit_hit_;
    return c;
  }

 private:
  void guarded_loop() {
    try {
      loop();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      aborted_ = true;
    }
  }

  void loop() {
    while (stop_().empty()) {
      if (o_.max_trials > 0 && reserved_.fetch_add(1) >= o_.max_trials) {
        limit_hit_ = true;
        return;
      }
      auto a = scheduler_.next(o_.worker);
      if (a) {
        ++started_;
        const TrialOutcome outcome = runner_.run(*a, stop_);
        count(outcome);
        scheduler_.completed(*a, outcome);
        continue;
      }
      if (o_.max_trials > 0) --reserved_;
      const IdleAction idle = o_.when_idle ? o_.when_idle() : IdleAction::kFinish;
      if (idle == IdleAction::kFinish) return;
      if (idle == IdleAction::kRetry) continue;
      const auto tick = std::chrono::milliseconds(100);
      for (auto waited = std::chrono::milliseconds(0); waited < o_.idle_wait && stop_().empty();
           waited += tick)
        std::this_thread::sleep_for(tick);
    }
  }

  void count(TrialOutcome outcome) {
    switch (outcome) {
      case TrialOutcome::kDone:
        ++done_;
        break;
      case TrialOutcome::kFailed:
        ++failed_;
        break;
      case TrialOutcome::kInterrupted:
        ++interrupted_;
        break;
      case TrialOutcome::kLost:
        ++lost_;
        break;
      case TrialOutcome::kStopped:
        ++stopped_;
        break;
    }
  }

  Scheduler& scheduler_;
  TrialRunner& runner_;
  const WorkerPoolOptions& o_;
  StopReason stop_;
  std::mutex mutex_;
  std::exception_ptr error_;
  std::atomic<bool> aborted_{false}, limit_hit_{false};
  std::atomic<int> started_{0}, done_{0}, failed_{0}, interrupted_{0}, lost_{0}, stopped_{0},
      reserved_{0};
};

}  // namespace

PoolCounts run_workers(Scheduler& scheduler, TrialRunner& runner, const WorkerPoolOptions& o) {
  return Pool(scheduler, runner, o).run();
}

}  // namespace hybridnet::search
