// Example 3-2: what asyncio.run does for you, by hand: get a loop, run the
// main task, cancel what is still pending, gather it with
// return_exceptions, close the loop.
#include <ctime>
#include <eddy/eddy.hpp>
#include <iostream>
#include <string>

std::string now() {
  std::time_t t = std::time(nullptr);
  std::string s = std::ctime(&t);
  s.pop_back();
  return s;
}

eddy::Coro<> main_coro() {
  std::cout << now() << " Hello!" << std::endl;
  co_await eddy::sleep(1.0);
  std::cout << now() << " Goodbye!" << std::endl;
}

eddy::Coro<> straggler() {
  // Still sleeping when main() ends: the shutdown below cancels it.
  try {
    co_await eddy::sleep(60.0);
  } catch (const eddy::CancelledError&) {
    std::cout << "straggler cancelled" << std::endl;
    throw;
  }
}

int main() {
  eddy::EventLoop& loop = eddy::get_event_loop();
  eddy::Task<> task = loop.create_task(main_coro());
  loop.create_task(straggler());
  loop.run_until_complete(task);
  std::vector<eddy::BasicTask> pending = eddy::all_tasks(&loop);
  std::cout << pending.size() << " pending task(s) at shutdown" << std::endl;
  for (const eddy::BasicTask& t : pending) t.cancel();
  auto group = eddy::gather(eddy::return_exceptions, pending);
  auto results = loop.run_until_complete(group);
  for (auto& r : results) {
    std::cout << (r.has_value() ? "finished" : "cancelled") << std::endl;
  }
  loop.close();
}
