// Examples 3-4 and 3-5: an async function is a function; calling it returns
// a coroutine object, and introspection tells the two apart.
#include <eddy/eddy.hpp>
#include <iostream>
#include <type_traits>

eddy::Coro<int> f() { co_return 123; }

// asyncio.iscoroutinefunction(f): a callable whose result is a Coro.
template <class F>
constexpr bool iscoroutinefunction(F) {
  return eddy::is_coro_v<std::invoke_result_t<F>>;
}

int main() {
  std::cout << std::boolalpha;
  // 3-4: f is a function...
  std::cout << "f is a function: " << std::is_function_v<decltype(f)> << std::endl;
  std::cout << "iscoroutinefunction(f): " << iscoroutinefunction(f) << std::endl;
  // 3-5: ...and calling it gives a coroutine (lazy: nothing ran yet).
  eddy::Coro<int> coro = f();
  std::cout << "iscoroutine(coro): " << eddy::is_coro_v<decltype(coro)> << std::endl;
  std::cout << "coro.done(): " << coro.done() << std::endl;
  coro.send();  // run it, so it is not reported as never awaited
  std::cout << "result: " << coro.result() << std::endl;
}
