// Example 3-7: await on a coroutine: main() awaits f() and gets 123.
#include <eddy/eddy.hpp>
#include <iostream>

eddy::Coro<int> f() {
  co_await eddy::sleep(1.0);
  co_return 123;
}

eddy::Coro<int> main_coro() {
  int result = co_await f();
  co_return result;
}

int main() { std::cout << "result: " << eddy::run(main_coro()) << std::endl; }
