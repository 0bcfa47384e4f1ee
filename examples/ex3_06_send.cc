// Example 3-6: a coroutine is started and resumed with send(); when it
// returns, its value comes out (Python: in StopIteration.value).
#include <eddy/eddy.hpp>
#include <iostream>

eddy::Coro<int> f() { co_return 123; }

int main() {
  eddy::Coro<int> coro = f();
  coro.send();  // runs to completion: there is no await inside
  std::cout << "done: " << std::boolalpha << coro.done() << std::endl;
  std::cout << "The answer was: " << coro.result() << std::endl;
}
