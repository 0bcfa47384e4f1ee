// Example 3-1: "Hello World" with asyncio.run -- the whole quick start.
//   async def main():
//       print(f'{time.ctime()} Hello!')
//       await asyncio.sleep(1.0)
//       print(f'{time.ctime()} Goodbye!')
//   asyncio.run(main())
#include <ctime>
#include <eddy/eddy.hpp>
#include <iostream>
#include <string>

std::string now() {
  std::time_t t = std::time(nullptr);
  std::string s = std::ctime(&t);
  s.pop_back();  // ctime ends with '\n'
  return s;
}

eddy::Coro<> main_coro() {
  std::cout << now() << " Hello!" << std::endl;
  co_await eddy::sleep(1.0);
  std::cout << now() << " Goodbye!" << std::endl;
}

int main() { eddy::run(main_coro()); }
