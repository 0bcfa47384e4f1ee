// Example 3-3: blocking code in the default executor. The job starts when
// the loop runs; run_in_executor returns a Future, not a Task, so all_tasks()
// does not list it; shutdown waits for it.
#include <chrono>
#include <ctime>
#include <eddy/eddy.hpp>
#include <iostream>
#include <string>
#include <thread>

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

void blocking() {
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::cout << now() << " Hello from a thread!" << std::endl;
}

int main() {
  eddy::EventLoop& loop = eddy::get_event_loop();
  eddy::Task<> task = loop.create_task(main_coro());
  eddy::Future<void> job = loop.run_in_executor(nullptr, blocking);
  loop.run_until_complete(task);
  std::vector<eddy::BasicTask> pending = eddy::all_tasks(&loop);
  std::cout << "pending tasks: " << pending.size() << " (the executor job is a Future)" << std::endl;
  for (const eddy::BasicTask& t : pending) t.cancel();
  loop.run_until_complete(eddy::gather(eddy::return_exceptions, pending));
  loop.shutdown_default_executor();
  loop.close();
  return job.done() ? 0 : 1;
}
