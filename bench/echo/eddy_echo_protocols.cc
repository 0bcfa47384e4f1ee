// eddy_echo_protocols.cc -- the echo server's "protocols" mode: asyncio's
// fastest form,
//
//   class Echo(asyncio.Protocol):
//       def connection_made(self, transport): self.transport = transport
//       def data_received(self, data): self.transport.write(data)
//   server = await loop.create_server(Echo, host, port, backlog=4096)
//
// written with eddy/transports.h and eddy/network.h. The transport sends at
// once what the socket takes (no loop iteration) and buffers the rest;
// create_server sets TCP_NODELAY on every connection, as asyncio does. The
// backlog matches the reference servers', so a thousand connections made at
// once all get in.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "eddy/network.h"
#include "eddy/transports.h"
#include "eddy_echo.h"

namespace eddy::echo {
namespace {

class EchoProtocol : public Protocol {
 public:
  void connection_made(Transport& transport) override { transport_ = &transport; }
  void data_received(std::string_view data) override { transport_->write(data); }

 private:
  Transport* transport_ = nullptr;  // valid until connection_lost returns
};

}  // namespace

Coro<> serve_protocols(ServerArgs args) {
  ServerOptions options;
  options.backlog = SOMAXCONN;
  // g++ 12: the arguments are locals, not temporaries inside co_await.
  std::string_view host = args.host;
  uint16_t port = static_cast<uint16_t>(args.port);
  auto factory = [] { return std::make_shared<EchoProtocol>(); };
  Coro<Server> making = create_server(factory, host, port, options);
  Server server = co_await std::move(making);
  announce_port(server.sockets().front().port());
  co_await server.serve_forever();
}

}  // namespace eddy::echo
