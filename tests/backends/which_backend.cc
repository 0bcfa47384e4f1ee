// which_backend: makes a loop the default way (EDDY_BACKEND or the default),
// runs a callback and a timer on it, and prints the backend's name. The
// run-time selection test starts this one binary once per backend.
#include <chrono>
#include <cstdio>

#include "eddy/event_loop.h"

int main() {
  try {
    eddy::EventLoop loop;
    int ran = 0;
    loop.call_soon([&] { ++ran; });
    loop.call_later(std::chrono::milliseconds(2), [&] {
      ++ran;
      loop.stop();
    });
    loop.run_forever();
    std::printf("%s %d\n", loop.backend().c_str(), ran);
    return ran == 2 ? 0 : 1;
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 3;
  }
}
