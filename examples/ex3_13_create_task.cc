// Example 3-13: create_task inside a coroutine schedules new tasks on the
// running loop; they are independent of (and outlive) their creator.
#include <eddy/eddy.hpp>
#include <iostream>

using namespace std::chrono_literals;

eddy::Coro<> worker(int i) {
  // (Bound to a local first: g++ 12 mishandles some temporaries in co_await.)
  auto delay = std::chrono::milliseconds(10 * (i + 1));
  co_await eddy::sleep(delay);
  std::cout << "task " << i << " done" << std::endl;
}

eddy::Coro<> f() {
  // Create some tasks! Nobody awaits them here.
  for (int i = 0; i < 3; ++i) eddy::create_task(worker(i));
  std::cout << "f() returns before its tasks finish" << std::endl;
  co_return;
}

eddy::Coro<> main_coro() {
  co_await f();
  // ensure_future wraps a coroutine in a task, and returns a task unchanged.
  eddy::Task<> t = eddy::ensure_future(worker(3));
  eddy::Task<> same = eddy::ensure_future(t);
  std::cout << "ensure_future(task) is task: " << std::boolalpha << (t == same) << std::endl;
  auto delay = 100ms;
  co_await eddy::sleep(delay);
}

int main() { eddy::run(main_coro()); }
