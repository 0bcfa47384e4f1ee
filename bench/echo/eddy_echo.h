// eddy_echo.h -- the pieces of eddy's TCP echo server (eddy_echo_server.cc)
// that its modes share.
//
// The server runs one of several modes, one file each, so that each mode
// reads like the application code it stands for:
//   sockets    eddy_echo_sockets.cc: the loop's sock_accept, sock_recv_into
//              and sock_sendall, one task per connection;
//   protocols  eddy_echo_protocols.cc: a Protocol whose data_received
//              writes to its Transport (asyncio's fastest form);
//   streams    eddy_echo_streams.cc: start_server with a reader/writer
//              coroutine per connection (asyncio's usual form).
// Every mode listens on host:port (0: any free port), calls announce_port()
// once it accepts connections, and echoes until the process is killed.
//
// Thread-safety: everything runs on the loop's thread.
#ifndef EDDY_BENCH_ECHO_EDDY_ECHO_H_
#define EDDY_BENCH_ECHO_EDDY_ECHO_H_

#include <cstddef>
#include <string>

#include "eddy/coro.h"

namespace eddy::echo {

// Bytes one read may take, as the reference servers read.
inline constexpr size_t kReadSize = 65536;

struct ServerArgs {
  std::string host = "127.0.0.1";
  int port = 0;
};

// Prints "PORT <port>" on stdout and flushes: the signal eddy-bench waits
// for before it starts the load.
void announce_port(int port);

Coro<> serve_sockets(ServerArgs args);
Coro<> serve_protocols(ServerArgs args);
Coro<> serve_streams(ServerArgs args);

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_EDDY_ECHO_H_
