// eddy_echo_streams.cc -- the echo server's "streams" mode: the way most
// asyncio code is written,
//
//   async def handle(reader, writer):
//       while data := await reader.read(65536):
//           writer.write(data)
//           await writer.drain()
//       writer.close()
//   server = await asyncio.start_server(handle, host, port, backlog=4096)
//
// written with eddy/streams.h and eddy/stream_writer.h: a StreamReader fed
// by the transport, a task per connection, drain() returning at once while
// the transport's write buffer is below its high-water mark.
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/exceptions.h"
#include "eddy/network.h"
#include "eddy/stream_writer.h"
#include "eddy/streams.h"
#include "eddy_echo.h"

namespace eddy::echo {
namespace {

Coro<> echo_stream(StreamReader reader, StreamWriter writer) {
  try {
    for (;;) {
      std::string data = co_await reader.read(static_cast<std::ptrdiff_t>(kReadSize));
      if (data.empty()) break;
      writer.write(data);
      co_await writer.drain();
    }
  } catch (const ConnectionError&) {
    // Reset by the peer: the connection ends.
  }
  writer.close();
}

}  // namespace

Coro<> serve_streams(ServerArgs args) {
  ServerOptions options;
  options.backlog = SOMAXCONN;
  // g++ 12: the arguments are locals, not temporaries inside co_await.
  std::string_view host = args.host;
  uint16_t port = static_cast<uint16_t>(args.port);
  Coro<Server> making = start_server(echo_stream, host, port, options);
  Server server = co_await std::move(making);
  announce_port(server.sockets().front().port());
  co_await server.serve_forever();
}

}  // namespace eddy::echo
