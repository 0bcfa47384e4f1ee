// Example 3-10: for education only -- a coroutine that ignores cancellation
// and keeps going. Don't do this.
#include <eddy/eddy.hpp>
#include <iostream>

eddy::Coro<int> f() {
  try {
    for (;;) co_await eddy::sleep(0.0);
  } catch (const eddy::CancelledError&) {
    std::cout << "Nope!" << std::endl;
  }
  for (;;) co_await eddy::sleep(0.0);  // still running
  co_return 111;
}

int main() {
  eddy::Coro<int> coro = f();
  coro.send();
  coro.throw_(std::make_exception_ptr(eddy::CancelledError()));
  coro.send();
  std::cout << "still running after the cancel: " << std::boolalpha << !coro.done() << std::endl;
  // Destroying it closes it (Python's coro.close()).
}
