// An application outside the eddy tree, built with nothing but
// `pkg-config --cflags --libs eddy` against an installed eddy: it picks a
// backend at run time and runs a loop.
#include <eddy/event_loop.h>

#include <chrono>
#include <cstdio>

int main() {
  eddy::EventLoop loop;
  int ticks = 0;
  loop.call_soon([&] { ++ticks; });
  loop.call_later(std::chrono::milliseconds(10), [&] {
    ++ticks;
    loop.stop();
  });
  loop.run_forever();
  std::printf("outside app: backend %s, %d callbacks ran\n", loop.backend().c_str(), ticks);
  return ticks == 2 ? 0 : 1;
}
