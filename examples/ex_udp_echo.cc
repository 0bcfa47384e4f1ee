// UDP echo: a server endpoint that sends every datagram back to its sender,
// and a client endpoint connected to it that sends a batch of datagrams and
// checks each echo -- asyncio's datagram protocols, both sides in one
// program. A Python sketch of the same:
//
//   class Echo(asyncio.DatagramProtocol):
//       def connection_made(self, transport): self.transport = transport
//       def datagram_received(self, data, addr): self.transport.sendto(data, addr)
//
//   class Client(asyncio.DatagramProtocol):
//       def __init__(self, expected, done): self.expected, self.done = expected, done
//       def connection_made(self, transport): self.transport = transport
//       def datagram_received(self, data, addr):
//           self.expected.remove(data)                # raises if not expected
//           if not self.expected: self.transport.close()
//       def connection_lost(self, exc): self.done.set_result(True)
//
//   server, _ = await loop.create_datagram_endpoint(Echo, local_addr=('127.0.0.1', 0))
//   client, proto = await loop.create_datagram_endpoint(
//       lambda: Client(set(msgs), done), remote_addr=server.get_extra_info('sockname'))
//   for m in msgs: client.sendto(m)
//   await asyncio.wait_for(done, 5)
//
// The port is the kernel's choice, so the output is the same on every run.
#include <chrono>
#include <cstdio>
#include <eddy/eddy.hpp>
#include <memory>
#include <set>
#include <string>
#include <variant>

namespace {

constexpr int kDatagrams = 10;

class EchoServer : public eddy::DatagramProtocol {
 public:
  void connection_made(eddy::DatagramTransport& t) override { transport_ = &t; }
  void datagram_received(std::string_view data, const eddy::SockAddr& addr) override {
    ++echoed;
    transport_->sendto(data, addr);
  }
  int echoed = 0;

 private:
  eddy::DatagramTransport* transport_ = nullptr;
};

class EchoClient : public eddy::DatagramProtocol {
 public:
  EchoClient(std::set<std::string> expected, eddy::Future<> done)
      : expected_(std::move(expected)), done_(std::move(done)) {}
  void connection_made(eddy::DatagramTransport& t) override { transport_ = &t; }
  void datagram_received(std::string_view data, const eddy::SockAddr&) override {
    // Every echo must be one of ours, intact, and come back once.
    if (expected_.erase(std::string(data)) != 1) {
      std::printf("client: unexpected echo '%.*s'\n", static_cast<int>(data.size()), data.data());
      ++bad;
    }
    if (expected_.empty()) transport_->close();
  }
  void error_received(std::exception_ptr exc) override {
    try {
      std::rethrow_exception(exc);
    } catch (const std::exception& e) {
      std::printf("client: error received: %s\n", e.what());
    }
    ++bad;
  }
  void connection_lost(std::exception_ptr) override {
    std::printf("client: connection closed\n");
    if (!done_.done()) done_.set_result();
  }
  int bad = 0;

 private:
  std::set<std::string> expected_;
  eddy::Future<> done_;
  eddy::DatagramTransport* transport_ = nullptr;
};

eddy::Coro<int> main_coro() {
  eddy::EventLoop& loop = eddy::get_running_loop();

  eddy::DatagramOptions server_options;
  server_options.local_addr = eddy::SockAddr::from_ip("127.0.0.1", 0);
  // (Factories bound to locals first: g++ 12 mishandles some temporaries in
  // co_await expressions.)
  auto make_server = [] { return std::make_shared<EchoServer>(); };
  auto [server, echo] = co_await eddy::create_datagram_endpoint(loop, make_server, server_options);
  auto where = std::get<eddy::SockAddr>(server->get_extra_info("sockname"));
  std::printf("server: listening on %s (a free port)\n", where.host().c_str());

  std::set<std::string> messages;
  for (int i = 0; i < kDatagrams; ++i) messages.insert("datagram #" + std::to_string(i));
  eddy::Future<> done(loop);
  eddy::DatagramOptions client_options;
  client_options.remote_addr = where;
  auto make_client = [&messages, done] { return std::make_shared<EchoClient>(messages, done); };
  auto [client, checker] =
      co_await eddy::create_datagram_endpoint(loop, make_client, client_options);
  for (const std::string& m : messages) client->sendto(m);
  std::printf("client: sent %d datagrams\n", kDatagrams);

  // Loopback UDP does not lose datagrams, but a test must never hang.
  try {
    auto limit = std::chrono::seconds(5);
    co_await eddy::wait_for(done, limit);
  } catch (const eddy::TimeoutError&) {
    std::printf("client: timed out waiting for the echoes\n");
    co_return 1;
  }
  if (checker->bad != 0) co_return 1;
  std::printf("client: all %d echoes came back intact\n", kDatagrams);

  server->close();
  std::printf("server: echoed %d datagrams, closed\n", echo->echoed);
  co_return echo->echoed == kDatagrams ? 0 : 1;
}

}  // namespace

int main() { return eddy::run(main_coro()); }
