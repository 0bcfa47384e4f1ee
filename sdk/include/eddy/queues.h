// eddy/queues.h -- asyncio.Queue, PriorityQueue and LifoQueue.
//
//   eddy::Queue<Job> q(100);            // maxsize 100; 0 (the default) = unbounded
//   co_await q.put(job);                // waits while the queue is full
//   Job j = co_await q.get();           // waits while it is empty
//   q.task_done();  co_await q.join();  // join: every item put has been done
//   q.shutdown();                       // 3.13: puts raise QueueShutDown, gets
//                                       // drain what is left and then raise
//
// The semantics are CPython 3.13's (Lib/asyncio/queues.py): blocked putters
// and getters are served first come, first served; put_nowait() wakes the
// first getter but does not hand it the item, so the item may be taken by a
// task that runs first, and the woken getter then waits again at the back.
// A getter cancelled after it was woken passes the wake-up to the next one
// (no item is stranded); likewise for putters. shutdown(immediate=true)
// also drops the items left (each counts as done for join()).
//
// PriorityQueue<T, Compare> yields the smallest item first under Compare
// (std::less by default, like Python's heapq; std::greater gives the
// largest first). LifoQueue<T> yields the newest item first.
//
// Allocation: get() and put() return awaitables. When they need not wait
// they complete in place; when they wait, the waiter is a future embedded in
// a coroutine frame that comes from a per-thread pool. So a steady stream of
// items allocates nothing but the container's own growth (the FIFO queue is
// a ring buffer that keeps its capacity). Where a Coro is needed
// (create_task, wait_for, gather) get() and put() convert to one.
//
// Thread-safety: a queue belongs to one loop's thread.
#ifndef EDDY_QUEUES_H_
#define EDDY_QUEUES_H_

#include <algorithm>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "eddy/block_pool.h"
#include "eddy/locks.h"

namespace eddy {

namespace detail {

// ---- Storage: FIFO ring, LIFO stack, binary heap ----

// A growable ring buffer: push at the back, pop at the front. Its capacity
// (a power of two) only grows, so a steady stream allocates nothing.
template <class T>
class Ring {
 public:
  Ring() = default;
  Ring(Ring&& o) noexcept
      : buf_(std::exchange(o.buf_, nullptr)),
        head_(std::exchange(o.head_, 0)),
        size_(std::exchange(o.size_, 0)),
        cap_(std::exchange(o.cap_, 0)) {}
  Ring& operator=(Ring&&) = delete;
  ~Ring() {
    clear();
    if (buf_) std::allocator<T>().deallocate(buf_, cap_);
  }
  size_t size() const { return size_; }
  void push(T v) {
    if (size_ == cap_) grow();
    ::new (static_cast<void*>(buf_ + ((head_ + size_) & (cap_ - 1)))) T(std::move(v));
    ++size_;
  }
  T pop() {
    T& slot = buf_[head_];
    T v(std::move(slot));
    slot.~T();
    head_ = (head_ + 1) & (cap_ - 1);
    --size_;
    return v;
  }
  void clear() {
    while (size_ > 0) {
      buf_[head_].~T();
      head_ = (head_ + 1) & (cap_ - 1);
      --size_;
    }
  }

 private:
  void grow() {
    size_t cap = cap_ ? cap_ * 2 : 16;
    T* buf = std::allocator<T>().allocate(cap);
    size_t moved = 0;
    try {
      for (; moved < size_; ++moved) {
        ::new (static_cast<void*>(buf + moved))
            T(std::move_if_noexcept(buf_[(head_ + moved) & (cap_ - 1)]));
      }
    } catch (...) {
      for (size_t i = 0; i < moved; ++i) buf[i].~T();
      std::allocator<T>().deallocate(buf, cap);
      throw;
    }
    for (size_t i = 0; i < size_; ++i) buf_[(head_ + i) & (cap_ - 1)].~T();
    if (buf_) std::allocator<T>().deallocate(buf_, cap_);
    buf_ = buf;
    cap_ = cap;
    head_ = 0;
  }

  T* buf_ = nullptr;
  size_t head_ = 0;
  size_t size_ = 0;
  size_t cap_ = 0;
};

template <class T>
class Stack {
 public:
  size_t size() const { return v_.size(); }
  void push(T v) { v_.push_back(std::move(v)); }
  T pop() {
    T v(std::move(v_.back()));
    v_.pop_back();
    return v;
  }
  void clear() { v_.clear(); }

 private:
  std::vector<T> v_;
};

// A min-heap under Compare: pop() yields an item no other item is less than.
template <class T, class Compare>
class Heap {
 public:
  explicit Heap(Compare less = Compare()) : greater_{std::move(less)} {}
  size_t size() const { return v_.size(); }
  void push(T v) {
    v_.push_back(std::move(v));
    std::push_heap(v_.begin(), v_.end(), greater_);
  }
  T pop() {
    std::pop_heap(v_.begin(), v_.end(), greater_);
    T v(std::move(v_.back()));
    v_.pop_back();
    return v;
  }
  void clear() { v_.clear(); }

 private:
  // std's heap functions build a max-heap; reversing the order makes the
  // smallest item the top.
  struct Greater {
    Compare less;
    bool operator()(const T& a, const T& b) const { return less(b, a); }
  };
  std::vector<T> v_;
  Greater greater_;
};

// ---- The coroutine a blocked get() or put() runs ----

// Frames of the waiting coroutines come from the per-thread block pool
// (block_pool.h), so waiting allocates nothing once warm.

// A lazily started coroutine that returns to its awaiter when it ends. It
// waits (possibly several times) until the queue can serve the operation.
class [[nodiscard]] QueueWait {
 public:
  struct promise_type {
    static void* operator new(size_t n) { return pool_alloc(n); }
    static void operator delete(void* p, size_t n) noexcept { pool_free(p, n); }
    QueueWait get_return_object() {
      return QueueWait(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct Final {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().continuation;
      }
      void await_resume() const noexcept {}
    };
    Final final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }

    std::coroutine_handle<> continuation;
    std::exception_ptr error;
  };

  QueueWait() = default;
  explicit QueueWait(std::coroutine_handle<promise_type> h) : h_(h) {}
  QueueWait(QueueWait&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  QueueWait& operator=(QueueWait&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  ~QueueWait() {
    if (h_) h_.destroy();
  }
  explicit operator bool() const { return static_cast<bool>(h_); }
  // Where to transfer to start it; it transfers back to `awaiter` at its end.
  std::coroutine_handle<> start(std::coroutine_handle<> awaiter) {
    h_.promise().continuation = awaiter;
    return h_;
  }
  void rethrow() const {
    if (h_.promise().error) std::rethrow_exception(h_.promise().error);
  }

 private:
  std::coroutine_handle<promise_type> h_;
};

template <class Q>
class QueueGet;
template <class Q>
class QueuePut;

}  // namespace detail

// The queue proper; Queue, PriorityQueue and LifoQueue differ in Store.
template <class T, class Store>
class BasicQueue {
 public:
  using value_type = T;

  // maxsize <= 0: unbounded.
  explicit BasicQueue(int64_t maxsize = 0, Store store = Store())
      : store_(std::move(store)), maxsize_(maxsize) {
    finished_.set();
  }
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  size_t qsize() const { return store_.size(); }
  int64_t maxsize() const { return maxsize_; }
  bool empty() const { return store_.size() == 0; }
  bool full() const { return maxsize_ > 0 && store_.size() >= static_cast<size_t>(maxsize_); }

  // Waits for a free slot, then puts. QueueShutDown once shut down.
  detail::QueuePut<BasicQueue> put(T item) {
    return detail::QueuePut<BasicQueue>(this, std::move(item));
  }
  // Waits for an item, then takes it. QueueShutDown once shut down and
  // empty.
  detail::QueueGet<BasicQueue> get() { return detail::QueueGet<BasicQueue>(this); }

  // QueueFull if full; QueueShutDown once shut down.
  void put_nowait(T item) {
    if (shut_down_) throw QueueShutDown();
    if (full()) throw QueueFull();
    store_.push(std::move(item));
    ++unfinished_;
    finished_.clear();
    getters_.wake_next();
  }
  // QueueEmpty if empty (QueueShutDown if also shut down).
  T get_nowait() {
    if (empty()) {
      if (shut_down_) throw QueueShutDown();
      throw QueueEmpty();
    }
    T item = store_.pop();
    putters_.wake_next();
    return item;
  }

  // One item taken by get() is fully processed. ValueError if called more
  // times than items were put.
  void task_done() {
    if (unfinished_ == 0) throw ValueError("task_done() called too many times");
    if (--unfinished_ == 0) finished_.set();
  }
  // Waits until every item put has been marked done.
  Coro<void> join() {
    if (unfinished_ > 0) co_await finished_.wait();
  }

  // Python 3.13's Queue.shutdown: later puts raise QueueShutDown, gets
  // raise it once the queue is empty; with `immediate` the queue is emptied
  // first (each dropped item counts as done). Blocked putters and getters
  // wake up to re-check.
  void shutdown(bool immediate = false) {
    shut_down_ = true;
    if (immediate) {
      while (!empty()) {
        store_.pop();
        if (unfinished_ > 0) --unfinished_;
      }
      if (unfinished_ == 0) finished_.set();
    }
    while (detail::Waiter* w = getters_.pop_front()) {
      if (!w->done()) w->set_result();
    }
    while (detail::Waiter* w = putters_.pop_front()) {
      if (!w->done()) w->set_result();
    }
  }

 private:
  friend class detail::QueueGet<BasicQueue>;
  friend class detail::QueuePut<BasicQueue>;

  // Waits until the queue has an item (or raises QueueShutDown). A getter
  // that fails after being woken passes the wake-up on.
  static detail::QueueWait wait_for_item(BasicQueue* q) {
    while (q->empty()) {
      if (q->shut_down_) throw QueueShutDown();
      detail::Park park(detail::waiting_loop(q->loop_, "Queue"));
      q->getters_.push_back(&park.waiter);
      try {
        co_await park.awaiter;
      } catch (...) {
        park.waiter.cancel();
        q->getters_.remove(&park.waiter);
        if (!q->empty() && !park.waiter.cancelled()) q->getters_.wake_next();
        throw;
      }
    }
  }
  // Waits until the queue has a free slot (or raises QueueShutDown).
  static detail::QueueWait wait_for_slot(BasicQueue* q) {
    while (q->full()) {
      if (q->shut_down_) throw QueueShutDown();
      detail::Park park(detail::waiting_loop(q->loop_, "Queue"));
      q->putters_.push_back(&park.waiter);
      try {
        co_await park.awaiter;
      } catch (...) {
        park.waiter.cancel();
        q->putters_.remove(&park.waiter);
        if (!q->full() && !park.waiter.cancelled()) q->putters_.wake_next();
        throw;
      }
    }
  }

  Store store_;
  int64_t maxsize_;
  size_t unfinished_ = 0;
  bool shut_down_ = false;
  EventLoop* loop_ = nullptr;
  detail::WaiterList getters_;
  detail::WaiterList putters_;
  Event finished_;
};

namespace detail {

// Awaitable of get(): takes an item at once if there is one, else runs
// wait_for_item and then takes it.
template <class Q>
class QueueGet {
 public:
  using T = typename Q::value_type;
  explicit QueueGet(Q* q) : q_(q) {}
  QueueGet(QueueGet&& o) noexcept : q_(o.q_) {}

  // Empty and shut down: await_resume raises QueueShutDown at once.
  bool await_ready() const noexcept { return !q_->empty() || q_->shut_down_; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
    wait_ = Q::wait_for_item(q_);
    return wait_.start(h);
  }
  T await_resume() {
    if (wait_) wait_.rethrow();
    return q_->get_nowait();
  }
  Coro<T> as_coro() && { return run(q_); }
  operator Coro<T>() && { return run(q_); }

 private:
  static Coro<T> run(Q* q) { co_return co_await q->get(); }
  Q* q_;
  QueueWait wait_;
};

// Awaitable of put(item).
template <class Q>
class QueuePut {
 public:
  using T = typename Q::value_type;
  QueuePut(Q* q, T item) : q_(q), item_(std::move(item)) {}
  QueuePut(QueuePut&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
      : q_(o.q_), item_(std::move(o.item_)) {}

  bool await_ready() const noexcept { return !q_->full() || q_->shut_down_; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
    wait_ = Q::wait_for_slot(q_);
    return wait_.start(h);
  }
  void await_resume() {
    if (wait_) wait_.rethrow();
    q_->put_nowait(std::move(item_));
  }
  Coro<void> as_coro() && { return run(q_, std::move(item_)); }
  operator Coro<void>() && { return run(q_, std::move(item_)); }

 private:
  static Coro<void> run(Q* q, T item) { co_await q->put(std::move(item)); }
  Q* q_;
  T item_;
  QueueWait wait_;
};

}  // namespace detail

// asyncio.Queue: first in, first out.
template <class T>
class Queue : public BasicQueue<T, detail::Ring<T>> {
 public:
  explicit Queue(int64_t maxsize = 0) : BasicQueue<T, detail::Ring<T>>(maxsize) {}
};

// asyncio.PriorityQueue: smallest first under Compare.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public BasicQueue<T, detail::Heap<T, Compare>> {
 public:
  explicit PriorityQueue(int64_t maxsize = 0, Compare less = Compare())
      : BasicQueue<T, detail::Heap<T, Compare>>(maxsize, detail::Heap<T, Compare>(std::move(less))) {}
};

// asyncio.LifoQueue: last in, first out.
template <class T>
class LifoQueue : public BasicQueue<T, detail::Stack<T>> {
 public:
  explicit LifoQueue(int64_t maxsize = 0) : BasicQueue<T, detail::Stack<T>>(maxsize) {}
};

}  // namespace eddy

#endif  // EDDY_QUEUES_H_
