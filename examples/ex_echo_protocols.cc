// The echo server and clients of ex_echo_streams.cc, one level down: with
// protocols and transports (loop.create_server / loop.create_connection).
// The Python original:
//
//   class EchoServer(asyncio.Protocol):
//       def connection_made(self, transport):
//           self.transport = transport
//       def data_received(self, data):
//           self.transport.write(data)
//
//   class EchoClient(asyncio.Protocol):
//       def __init__(self, message, done):
//           self.message, self.done, self.received = message, done, b''
//       def connection_made(self, transport):
//           self.transport = transport
//           transport.write(self.message)
//       def data_received(self, data):
//           self.received += data
//           if len(self.received) >= len(self.message):
//               self.transport.close()
//       def connection_lost(self, exc):
//           self.done.set_result(self.received == self.message)
//
//   async def main():
//       loop = asyncio.get_running_loop()
//       server = await loop.create_server(EchoServer, '127.0.0.1', 0)
//       port = server.sockets[0].getsockname()[1]
//       ...  # one EchoClient per client, then await each done future
//
// The clients run concurrently; their reports are printed in client order.
#include <eddy/eddy.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr int kClients = 3;
constexpr int kLines = 5;

int g_connections = 0;

struct EchoServer : eddy::Protocol {
  // Valid until connection_lost has returned (a shared_ptr here would make
  // a cycle with the transport, which owns its protocol).
  eddy::Transport* transport = nullptr;
  void connection_made(eddy::Transport& t) override {
    transport = &t;
    ++g_connections;
  }
  void data_received(std::string_view data) override { transport->write(data); }
};

struct EchoClient : eddy::Protocol {
  EchoClient(std::string m, eddy::Future<bool> d) : message(std::move(m)), done(std::move(d)) {}
  void connection_made(eddy::Transport& t) override {
    transport = &t;
    transport->write(message);
  }
  void data_received(std::string_view data) override {
    received.append(data);
    if (received.size() >= message.size()) transport->close();
  }
  void connection_lost(std::exception_ptr) override { done.set_result(received == message); }

  std::string message;
  eddy::Future<bool> done;
  std::string received;
  eddy::Transport* transport = nullptr;
};

std::string message_for(int i) {
  std::string m;
  for (int n = 0; n < kLines; ++n) {
    m += "client " + std::to_string(i) + " says hello #" + std::to_string(n) + "\n";
  }
  return m;
}

eddy::Coro<int> main_coro() {
  eddy::EventLoop& loop = eddy::get_running_loop();
  const std::string host = "127.0.0.1";
  auto server_factory = [] { return std::make_shared<EchoServer>(); };
  eddy::Server server = co_await eddy::create_server(server_factory, host, 0);
  uint16_t port = server.sockets().at(0).port();
  std::cout << "server: listening on " << host << " (a free port)" << std::endl;

  std::vector<eddy::Future<bool>> done;
  for (int i = 0; i < kClients; ++i) {
    eddy::Future<bool> d = loop.create_future<bool>();
    done.push_back(d);
    auto factory = [i, d] { return std::make_shared<EchoClient>(message_for(i), d); };
    co_await eddy::create_connection(factory, host, port);
  }
  int failures = 0;
  for (int i = 0; i < kClients; ++i) {
    bool intact = co_await done[i];
    std::cout << "client " << i << ": " << (intact ? "every byte echoed" : "echo differs")
              << std::endl;
    failures += intact ? 0 : 1;
  }
  // Accepted connections outlive close(); the clients closed theirs, so
  // wait_closed() returns once the server side has seen them go.
  server.close();
  co_await server.wait_closed();
  std::cout << "server: " << g_connections << " connections served, closed" << std::endl;
  co_return failures == 0 && g_connections == kClients ? 0 : 1;
}

}  // namespace

int main() { return eddy::run(main_coro()); }
