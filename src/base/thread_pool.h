// A fixed set of worker threads draining one task queue.
//
// Thread safety: post() may be called from any thread, including a worker.
// The destructor waits for queued tasks to finish, then joins the workers.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace ipfskit {

class ThreadPool {
 public:
  // threads == 0 means default_size().
  explicit ThreadPool(size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void post(std::function<void()> task);

  // Runs `fn` on a worker and returns a future for its result.
  template <typename Fn>
  auto submit(Fn fn) -> std::future<decltype(fn())> {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    std::future<R> future = task->get_future();
    post([task] { (*task)(); });
    return future;
  }

  size_t size() const { return workers_.size(); }

  // The number of CPUs this process may run on (sched_getaffinity), at least 1.
  static size_t default_size();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ipfskit
