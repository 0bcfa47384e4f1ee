// Example 3-11: the loop does the send() calls for us: run_until_complete
// drives the coroutine to its end and returns its value.
#include <eddy/eddy.hpp>
#include <iostream>

eddy::Coro<int> f() {
  co_await eddy::sleep(0.0);
  co_return 111;
}

int main() {
  eddy::EventLoop& loop = eddy::get_event_loop();
  eddy::Coro<int> coro = f();
  std::cout << loop.run_until_complete(std::move(coro)) << std::endl;
}
