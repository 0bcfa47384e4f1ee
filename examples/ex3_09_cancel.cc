// Example 3-9: a coroutine may catch CancelledError, clean up and return.
#include <eddy/eddy.hpp>
#include <iostream>

eddy::Coro<int> f() {
  try {
    for (;;) co_await eddy::sleep(0.0);
  } catch (const eddy::CancelledError&) {
    std::cout << "I was cancelled!" << std::endl;
    co_return 0;
  }
}

int main() {
  eddy::Coro<int> coro = f();
  coro.send();
  coro.send();
  coro.throw_(std::make_exception_ptr(eddy::CancelledError()));
  std::cout << "done: " << std::boolalpha << coro.done() << ", returned " << coro.result()
            << std::endl;
}
