// Example 3-12: get_event_loop() returns the same loop every time in one
// thread; a new thread has none until one is set.
#include <eddy/eddy.hpp>
#include <iostream>
#include <thread>

int main() {
  eddy::EventLoop& loop = eddy::get_event_loop();
  eddy::EventLoop& loop2 = eddy::get_event_loop();
  std::cout << "loop is loop2: " << std::boolalpha << (&loop == &loop2) << std::endl;
  std::thread([] {
    try {
      eddy::get_event_loop();
    } catch (const eddy::RuntimeError&) {
      std::cout << "a new thread has no loop until set_event_loop()" << std::endl;
    }
    auto own = eddy::new_event_loop();
    eddy::set_event_loop(own.get());
    std::cout << "after set_event_loop: " << (&eddy::get_event_loop() == own.get()) << std::endl;
    eddy::set_event_loop(nullptr);
  }).join();
}
