// Example 3-8: coro.throw() raises an exception inside a coroutine at its
// suspension point -- how task.cancel() delivers CancelledError.
#include <eddy/eddy.hpp>
#include <iostream>
#include <stdexcept>

eddy::Coro<> f() { co_await eddy::sleep(0.0); }

int main() {
  eddy::Coro<> coro = f();
  coro.send();  // suspended at the sleep
  coro.throw_(std::make_exception_ptr(std::runtime_error("blah")));
  try {
    coro.result();
  } catch (const std::exception& e) {
    std::cout << "Exception: " << e.what() << std::endl;
  }
}
