// Producer/consumer: a Queue feeds a pool of worker tasks; each worker calls
// a blocking "database" function in the default executor (to_thread), marks
// the item done, and takes the next. The producer waits for queue.join(),
// then cancels the workers, as the asyncio documentation's Queue example
// does. The Python original:
//
//   def lookup(order_id):                      # blocking: runs in a thread
//       time.sleep(0.005)
//       return order_id * 1.5
//
//   async def worker(queue, totals):
//       while True:
//           order_id = await queue.get()
//           try:
//               totals[order_id] = await asyncio.to_thread(lookup, order_id)
//           finally:
//               queue.task_done()
//
//   async def main():
//       queue, totals = asyncio.Queue(maxsize=4), {}
//       workers = [asyncio.create_task(worker(queue, totals)) for _ in range(3)]
//       for order_id in range(1, 11):
//           await queue.put(order_id)              # waits while 4 are queued
//       await queue.join()
//       for w in workers:
//           w.cancel()
//       await asyncio.gather(*workers, return_exceptions=True)
//       for order_id in sorted(totals):
//           print(f'order {order_id}: total {totals[order_id]:.2f}')
//
// Workers finish in whatever order the threads do, so the totals are
// printed sorted by order: the output is the same on every run.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <eddy/eddy.hpp>
#include <map>
#include <thread>
#include <vector>

namespace {

constexpr int kWorkers = 3;
constexpr int kOrders = 10;
constexpr int kMaxQueued = 4;

std::thread::id g_loop_thread;
std::atomic<int> g_calls_off_loop{0};

// The blocking "database": must not run on the loop's thread.
double lookup(int order_id) {
  if (std::this_thread::get_id() != g_loop_thread) ++g_calls_off_loop;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return order_id * 1.5;
}

eddy::Coro<> worker(eddy::Queue<int>* queue, std::map<int, double>* totals) {
  for (;;) {
    int order_id = co_await queue->get();
    try {
      (*totals)[order_id] = co_await eddy::to_thread(lookup, order_id);
    } catch (...) {
      queue->task_done();  // `finally`: also when cancelled mid-lookup
      throw;
    }
    queue->task_done();
  }
}

eddy::Coro<> main_coro() {
  g_loop_thread = std::this_thread::get_id();
  eddy::Queue<int> queue(kMaxQueued);
  std::map<int, double> totals;
  std::vector<eddy::Task<>> workers;
  for (int i = 0; i < kWorkers; ++i) workers.push_back(eddy::create_task(worker(&queue, &totals)));
  std::printf("queueing %d orders for %d workers (at most %d waiting)\n", kOrders, kWorkers,
              kMaxQueued);
  for (int order_id = 1; order_id <= kOrders; ++order_id) co_await queue.put(order_id);
  co_await queue.join();
  std::printf("queue.join() returned: %zu left, all done\n", queue.qsize());
  for (eddy::Task<>& w : workers) w.cancel();
  co_await eddy::gather(eddy::return_exceptions, workers);
  int cancelled = 0;
  for (eddy::Task<>& w : workers) cancelled += w.cancelled() ? 1 : 0;
  for (const auto& [order_id, total] : totals)
    std::printf("order %d: total %.2f\n", order_id, total);
  std::printf("%d workers cancelled; %d database calls ran off the loop thread\n", cancelled,
              g_calls_off_loop.load());
}

}  // namespace

int main() {
  eddy::run(main_coro());
  return 0;
}
