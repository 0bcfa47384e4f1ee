// An echo server and its clients with streams (asyncio.start_server and
// asyncio.open_connection), in one program: the server listens on a free
// port, three clients send lines concurrently and check every echo. The
// Python original:
//
//   async def handle_echo(reader, writer):
//       while line := await reader.readline():
//           writer.write(line)
//           await writer.drain()
//       writer.close()
//       await writer.wait_closed()
//
//   async def client(port, i):
//       reader, writer = await asyncio.open_connection('127.0.0.1', port)
//       for n in range(LINES):
//           line = f'client {i} says hello #{n}\n'.encode()
//           writer.write(line)
//           await writer.drain()
//           assert await reader.readline() == line
//       writer.close()
//       await writer.wait_closed()
//
//   async def main():
//       server = await asyncio.start_server(handle_echo, '127.0.0.1', 0)
//       port = server.sockets[0].getsockname()[1]
//       await asyncio.gather(*(client(port, i) for i in range(CLIENTS)))
//       server.close()
//       await server.wait_closed()
//
// The clients run concurrently; their reports are printed in client order
// once all are done, so the output is the same on every run.
#include <eddy/eddy.hpp>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr int kClients = 3;
constexpr int kLines = 5;

int g_served = 0;

// One connection of the server: echo lines until EOF.
eddy::Coro<> handle_echo(eddy::StreamReader reader, eddy::StreamWriter writer) {
  for (;;) {
    std::string line = co_await reader.readline();
    if (line.empty()) break;  // EOF
    writer.write(line);
    co_await writer.drain();
  }
  writer.close();
  co_await writer.wait_closed();
  ++g_served;
}

// Returns how many lines came back intact.
eddy::Coro<int> client(uint16_t port, int i) {
  const std::string host = "127.0.0.1";
  auto [reader, writer] = co_await eddy::open_connection(host, port);
  int intact = 0;
  for (int n = 0; n < kLines; ++n) {
    std::string line = "client " + std::to_string(i) + " says hello #" + std::to_string(n) + "\n";
    writer.write(line);
    co_await writer.drain();
    if (co_await reader.readline() == line) ++intact;
  }
  writer.close();
  co_await writer.wait_closed();
  co_return intact;
}

eddy::Coro<int> main_coro() {
  const std::string host = "127.0.0.1";
  eddy::Server server = co_await eddy::start_server(handle_echo, host, 0);
  uint16_t port = server.sockets().at(0).port();
  std::cout << "server: listening on " << host << " (a free port)" << std::endl;

  std::vector<eddy::Coro<int>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(client(port, i));
  std::vector<int> intact = co_await eddy::gather(std::move(clients));

  int failures = 0;
  for (int i = 0; i < kClients; ++i) {
    std::cout << "client " << i << ": " << intact[i] << " of " << kLines << " lines echoed intact"
              << std::endl;
    failures += kLines - intact[i];
  }
  server.close();
  co_await server.wait_closed();
  std::cout << "server: " << g_served << " connections served, closed" << std::endl;
  co_return failures == 0 && g_served == kClients ? 0 : 1;
}

}  // namespace

int main() { return eddy::run(main_coro()); }
