// loop_bench.cc -- the loop ABI's hot paths, on every backend.
//
//   BM_AbiCallSoonRun       call_soon of caller-owned handles + run_once (ABI)
//   BM_CallSoonLambda       EventLoop::call_soon(small lambda) + run_once (C++)
//   BM_TimerScheduleFire    call_at of due timers + run until all fired (ABI)
//   BM_ThreadsafeWakeup     another thread's call_soon_threadsafe wakes a loop
//                           blocked in poll; round trip per operation
//   BM_SocketpairPingPong   1-byte echo over a socketpair via add_reader (ABI)
//
// Each reports items/s and allocs/op (heap allocations per operation).
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "eddy/event_loop.h"

namespace eddy::bench {
namespace {

constexpr int kBatch = 1024;

std::unique_ptr<EventLoop> make_loop(const std::string& backend) {
  LoopOptions o;
  o.backend = backend;
  return std::make_unique<EventLoop>(o);
}

// ---- call_soon through the ABI ----

struct CountedHandle {
  eddy_handle h;
  uint64_t* counter;
};

void count_cb(eddy_handle* h, int32_t status) {
  if (status == 0) ++*reinterpret_cast<CountedHandle*>(h)->counter;
}

void BM_AbiCallSoonRun(benchmark::State& state, const std::string& backend) {
  auto loop = make_loop(backend);
  const eddy_loop_vtable* vt = loop->vtable();
  eddy_loop* l = loop->abi_loop();
  uint64_t ran = 0;
  std::vector<CountedHandle> hs(kBatch);
  for (auto& c : hs) {
    eddy_handle_init(&c.h, &count_cb);
    c.counter = &ran;
  }
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    for (auto& c : hs) vt->call_soon(l, &c.h);
    vt->run_once(l, 0);
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()) * kBatch);
  state.SetItemsProcessed(static_cast<int64_t>(ran));
}

// ---- call_soon of a C++ lambda ----

void BM_CallSoonLambda(benchmark::State& state, const std::string& backend) {
  auto loop = make_loop(backend);
  uint64_t ran = 0;
  // Warm the node pool, as a steady state would.
  for (int i = 0; i < kBatch; ++i) loop->call_soon([&ran] { ++ran; });
  loop->run_once(std::chrono::nanoseconds(0));
  ran = 0;
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) loop->call_soon([&ran] { ++ran; });
    loop->run_once(std::chrono::nanoseconds(0));
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()) * kBatch);
  state.SetItemsProcessed(static_cast<int64_t>(ran));
}

// ---- timers ----

struct CountedTimer {
  eddy_timer t;
  uint64_t* counter;
};

void timer_cb(eddy_handle* h, int32_t status) {
  if (status != 0) return;
  auto* t = reinterpret_cast<CountedTimer*>(reinterpret_cast<char*>(h) -
                                            offsetof(CountedTimer, t) - offsetof(eddy_timer, handle));
  ++*t->counter;
}

void BM_TimerScheduleFire(benchmark::State& state, const std::string& backend) {
  auto loop = make_loop(backend);
  const eddy_loop_vtable* vt = loop->vtable();
  eddy_loop* l = loop->abi_loop();
  uint64_t fired = 0;
  std::vector<CountedTimer> ts(kBatch);
  for (auto& c : ts) {
    eddy_timer_init(&c.t, &timer_cb);
    c.counter = &fired;
  }
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    // Deadlines spread over the last microsecond, in scrambled order, so the
    // heap does real work; all are due by the time the loop runs.
    int64_t now = vt->time(l);
    for (int i = 0; i < kBatch; ++i) vt->call_at(l, &ts[i].t, now - (i * 7919) % 1000);
    uint64_t target = fired + kBatch;
    while (fired < target) vt->run_once(l, 0);
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()) * kBatch);
  state.SetItemsProcessed(static_cast<int64_t>(fired));
}

// ---- cross-thread wakeup ----

struct WakeHandle {
  eddy_handle h;
  std::atomic<uint64_t>* done;
};

void wake_cb(eddy_handle* h, int32_t status) {
  if (status == 0) reinterpret_cast<WakeHandle*>(h)->done->fetch_add(1, std::memory_order_release);
}

void BM_ThreadsafeWakeup(benchmark::State& state, const std::string& backend) {
  auto loop = make_loop(backend);
  const eddy_loop_vtable* vt = loop->vtable();
  eddy_loop* l = loop->abi_loop();
  std::atomic<uint64_t> requested{0}, done{0};
  std::atomic<bool> quit{false};
  WakeHandle wh;
  eddy_handle_init(&wh.h, &wake_cb);
  wh.done = &done;
  // The poker waits (spinning) for a request, then posts the handle from its
  // own thread while the loop thread is blocked in poll.
  std::thread poker([&] {
    uint64_t seen = 0;
    while (!quit.load(std::memory_order_acquire)) {
      uint64_t r = requested.load(std::memory_order_acquire);
      if (r == seen) {
        std::this_thread::yield();
        continue;
      }
      seen = r;
      vt->call_soon_threadsafe(l, &wh.h);
    }
  });
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    uint64_t target = done.load(std::memory_order_relaxed) + 1;
    requested.fetch_add(1, std::memory_order_release);
    while (done.load(std::memory_order_acquire) < target) vt->run_once(l, -1);
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()));
  quit.store(true, std::memory_order_release);
  poker.join();
  state.SetItemsProcessed(state.iterations());
}

// ---- socketpair ping-pong ----

struct PingPong {
  int a, b;
  uint64_t round_trips = 0;
};

void on_b_readable(void* arg, int32_t fd, uint32_t) {
  auto* p = static_cast<PingPong*>(arg);
  char c;
  if (::read(fd, &c, 1) == 1) (void)!::write(p->b, &c, 1);  // echo back
}

void on_a_readable(void* arg, int32_t fd, uint32_t) {
  auto* p = static_cast<PingPong*>(arg);
  char c;
  if (::read(fd, &c, 1) == 1) ++p->round_trips;
}

void BM_SocketpairPingPong(benchmark::State& state, const std::string& backend) {
  auto loop = make_loop(backend);
  const eddy_loop_vtable* vt = loop->vtable();
  eddy_loop* l = loop->abi_loop();
  SocketPair sp;
  PingPong p{sp.fd[0], sp.fd[1]};
  vt->add_reader(l, p.a, &on_a_readable, &p);
  vt->add_reader(l, p.b, &on_b_readable, &p);
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    uint64_t target = p.round_trips + 1;
    char c = 'x';
    (void)!::write(p.a, &c, 1);
    while (p.round_trips < target) vt->run_once(l, -1);
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()));
  vt->remove_reader(l, p.a);
  vt->remove_reader(l, p.b);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void register_loop_benchmarks() {
  register_per_backend("BM_AbiCallSoonRun", &BM_AbiCallSoonRun);
  register_per_backend("BM_CallSoonLambda", &BM_CallSoonLambda);
  register_per_backend("BM_TimerScheduleFire", &BM_TimerScheduleFire);
  register_per_backend("BM_ThreadsafeWakeup", &BM_ThreadsafeWakeup);
  register_per_backend("BM_SocketpairPingPong", &BM_SocketpairPingPong);
}

}  // namespace eddy::bench
