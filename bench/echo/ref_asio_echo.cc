// ref_asio_echo.cc -- the TCP echo server in Boost.Asio with C++20
// coroutines.
//
// The way Asio's own examples write it: an acceptor coroutine co_spawns one
// session coroutine per connection, and each session loops on
// co_await async_read_some into a 64 KiB buffer in its frame and co_await
// async_write of what it read. One thread runs an io_context created with
// concurrency hint 1, which tells Asio that nothing else touches it (no
// locking on the hot path). Connections set TCP_NODELAY, as the other
// servers do.
//
// Part of eddy-bench's TCP echo workloads: --port N (0: any free port),
// prints "PORT <n>" on stdout once it listens, serves until SIGTERM
// (bench/echo/ref_common.h describes the protocol). Built only when the
// Boost.Asio headers are found and support co_await.
// <utility> before Asio: Boost 1.74's awaitable.hpp uses std::exchange
// without including it.
#include <utility>

#include <boost/asio.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> echo_session(tcp::socket socket) {
  char data[65536];
  try {
    for (;;) {
      // g++ 12: the buffers are locals, not temporaries inside co_await.
      asio::mutable_buffer in = asio::buffer(data);
      std::size_t n = co_await socket.async_read_some(in, asio::use_awaitable);
      asio::const_buffer out = asio::buffer(data, n);
      co_await asio::async_write(socket, out, asio::use_awaitable);
    }
  } catch (const std::exception&) {
    // The peer closed or reset: the session ends.
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::any_io_executor executor = acceptor.get_executor();
    asio::co_spawn(executor, echo_session(std::move(socket)), asio::detached);
  }
}

[[noreturn]] void usage(const char* prog) {
  std::fprintf(stderr, "usage: %s [--port N] [--host ADDR]\n", prog);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      host = argv[++i];
    } else {
      usage(argv[0]);
    }
  }
  try {
    asio::io_context context(1);
    tcp::endpoint endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port));
    tcp::acceptor acceptor(context, endpoint);  // open, SO_REUSEADDR, bind, listen
    std::printf("PORT %d\n", static_cast<int>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    asio::co_spawn(context, accept_loop(acceptor), asio::detached);
    context.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ref_asio_echo: %s\n", e.what());
    return 1;
  }
  return 0;
}
