// An application outside the eddy tree, built with nothing but
// `pkg-config --cflags --libs eddy` against an installed eddy: it picks a
// backend at run time and runs a loop of plain callbacks.
//   outside_app            run on the default backend
//   outside_app NAME       run, and fail unless the loop runs on NAME
//   outside_app --names    print the available backends, one per line
//   outside_app --status   print every backend found, one per line:
//                          "NAME available PATH" or "NAME unavailable: REASON"
#include <eddy/backends.h>
#include <eddy/event_loop.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--names") == 0) {
    for (const eddy::BackendInfo& b : eddy::available_backends()) {
      if (b.available) std::printf("%s\n", b.name.c_str());
    }
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "--status") == 0) {
    for (const eddy::BackendInfo& b : eddy::available_backends()) {
      if (b.available) {
        std::printf("%s available %s\n", b.name.c_str(), b.path.c_str());
      } else {
        std::printf("%s unavailable: %s\n", b.name.c_str(), b.reason.c_str());
      }
    }
    return 0;
  }
  eddy::EventLoop loop;
  std::vector<int> order;
  loop.call_soon([&] { order.push_back(1); });
  loop.call_later(std::chrono::milliseconds(10), [&] {
    order.push_back(3);
    loop.stop();
  });
  loop.call_soon([&] { order.push_back(2); });
  loop.run_forever();
  loop.close();
  std::printf("outside app: backend %s (%s), callbacks ran in order:", loop.backend().c_str(),
              loop.backend_info().path.c_str());
  for (int i : order) std::printf(" %d", i);
  std::printf("\n");
  if (order != std::vector<int>{1, 2, 3}) return 1;
  if (argc > 1 && loop.backend() != argv[1]) {
    std::fprintf(stderr, "outside app: asked for backend %s, got %s\n", argv[1],
                 loop.backend().c_str());
    return 1;
  }
  return 0;
}
