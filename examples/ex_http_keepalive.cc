// A small HTTP/1.1 server with keep-alive, over streams: each connection
// reads request heads with readuntil("\r\n\r\n"), skips any body
// (Content-Length), and answers every request with the same small
// response, until the client closes or asks for "Connection: close".
//
//   ex_http_keepalive                      # self-test: serves 3 keep-alive
//                                          # clients, checks every response
//   ex_http_keepalive --port 8080 --duration 30   # serve for 30 s (for wrk)
//
// In serving mode it prints "listening on 127.0.0.1:PORT" (--port 0 picks a
// free port), serves for --duration seconds, then prints how many requests
// it served and exits. The Python original of the handler:
//
//   RESPONSE = (b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n'
//               b'Content-Length: 13\r\n\r\nHello, world!')
//
//   async def handle(reader, writer):
//       try:
//           while True:
//               head = await reader.readuntil(b'\r\n\r\n')
//               headers = parse(head)
//               if n := int(headers.get('content-length', 0)):
//                   await reader.readexactly(n)
//               writer.write(RESPONSE)
//               await writer.drain()
//               if headers.get('connection', '').lower() == 'close':
//                   break
//       except (asyncio.IncompleteReadError, ConnectionError):
//           pass   # the client went away between requests
//       writer.close()
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <eddy/eddy.hpp>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kBody = "Hello, world!";
constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "\r\n"
    "Hello, world!";
constexpr std::string_view kBadRequest =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

struct Stats {
  long requests = 0;
  long connections = 0;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// What the server needs from a request head.
struct Head {
  bool ok = false;
  bool close = false;  // Connection: close (or HTTP/1.0 without keep-alive)
  long content_length = 0;
};

Head parse_head(std::string_view head) {
  Head h;
  size_t eol = head.find("\r\n");
  std::string_view request_line = head.substr(0, eol);
  // "METHOD SP TARGET SP HTTP/1.x"
  size_t sp = request_line.rfind(' ');
  if (sp == std::string_view::npos || request_line.find(' ') == sp) return h;
  std::string_view version = request_line.substr(sp + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return h;
  bool keep_alive_10 = false;
  h.close = version == "HTTP/1.0";
  for (size_t at = eol + 2; at < head.size();) {
    size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(at, end - at);
    at = end + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = lower(trim(line.substr(0, colon)));
    std::string value = lower(trim(line.substr(colon + 1)));
    if (name == "connection") {
      if (value == "close") h.close = true;
      if (value == "keep-alive") keep_alive_10 = true;
    } else if (name == "content-length") {
      h.content_length = std::strtol(value.c_str(), nullptr, 10);
      if (h.content_length < 0) return h;
    }
  }
  if (version == "HTTP/1.0" && keep_alive_10) h.close = false;
  h.ok = true;
  return h;
}

// One connection: requests until the client closes or asks to.
eddy::Coro<> handle(eddy::StreamReader reader, eddy::StreamWriter writer, Stats* stats) {
  ++stats->connections;
  const std::string end_of_head = "\r\n\r\n";
  try {
    for (;;) {
      std::string head = co_await reader.readuntil(end_of_head);
      Head h = parse_head(head);
      if (!h.ok) {
        writer.write(kBadRequest);
        break;
      }
      if (h.content_length > 0) co_await reader.readexactly(h.content_length);
      writer.write(kResponse);
      co_await writer.drain();
      ++stats->requests;
      if (h.close) break;
    }
  } catch (const eddy::IncompleteReadError&) {
    // The client closed between (or inside) requests.
  } catch (const eddy::LimitOverrunError&) {
    writer.write(kBadRequest);  // a head longer than the reader's limit
  } catch (const eddy::ConnectionError&) {
    // Reset by the client.
  }
  writer.close();
}

eddy::Coro<eddy::Server> serve(std::string host, uint16_t port, Stats* stats) {
  auto cb = [stats](eddy::StreamReader r, eddy::StreamWriter w) { return handle(r, w, stats); };
  eddy::ServerOptions options;
  options.backlog = 1024;
  co_return co_await eddy::start_server(cb, host, port, options);
}

// ---- Serving mode (for wrk) ----

eddy::Coro<int> serve_for(std::string host, uint16_t port, double seconds) {
  Stats stats;
  eddy::Server server = co_await serve(host, port, &stats);
  std::printf("listening on %s:%u\n", host.c_str(), server.sockets().at(0).port());
  std::fflush(stdout);
  co_await eddy::sleep(seconds);
  server.close();
  server.close_clients();
  auto grace = std::chrono::seconds(5);
  try {
    co_await eddy::wait_for(server.wait_closed(), grace);
  } catch (const eddy::TimeoutError&) {
    std::printf("some connections did not close in time\n");
  }
  std::printf("served %ld requests on %ld connections\n", stats.requests, stats.connections);
  co_return 0;
}

// ---- Self-test mode ----

struct Response {
  int status = 0;
  std::string body;
  bool close = false;
};

eddy::Coro<Response> read_response(eddy::StreamReader reader) {
  const std::string end_of_head = "\r\n\r\n";
  std::string head = co_await reader.readuntil(end_of_head);
  Response r;
  if (head.rfind("HTTP/1.1 ", 0) == 0) r.status = std::atoi(head.c_str() + 9);
  long length = 0;
  std::string lowered = lower(head);
  size_t at = lowered.find("\r\ncontent-length:");
  if (at != std::string::npos) length = std::strtol(lowered.c_str() + at + 17, nullptr, 10);
  r.close = lowered.find("\r\nconnection: close") != std::string::npos;
  r.body = co_await reader.readexactly(length);
  co_return r;
}

// Sends `requests` requests on one connection (the last with "Connection:
// close"), checks each response, and that the server then closes. Returns
// how many responses were right.
eddy::Coro<int> client(uint16_t port, int i, int requests) {
  const std::string host = "127.0.0.1";
  auto [reader, writer] = co_await eddy::open_connection(host, port);
  int good = 0;
  for (int n = 0; n < requests; ++n) {
    bool last = n == requests - 1;
    std::string request = "GET /client/" + std::to_string(i) + "/" + std::to_string(n) +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          (last ? "Connection: close\r\n" : "") +
                          (n % 2 ? "Content-Length: 5\r\n\r\nhello" : "\r\n");
    writer.write(request);
    co_await writer.drain();
    Response r = co_await read_response(reader);
    if (r.status == 200 && r.body == kBody) ++good;
  }
  // After "Connection: close" the server closes: EOF.
  std::string rest = co_await reader.read();
  if (!rest.empty() || !reader.at_eof()) good = -1;
  writer.close();
  co_await writer.wait_closed();
  co_return good;
}

eddy::Coro<int> self_test() {
  constexpr int kClients = 3;
  constexpr int kRequests = 5;
  Stats stats;
  const std::string host = "127.0.0.1";
  eddy::Server server = co_await serve(host, 0, &stats);
  uint16_t port = server.sockets().at(0).port();
  std::cout << "server: listening on " << host << " (a free port)" << std::endl;
  std::vector<eddy::Coro<int>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(client(port, i, kRequests));
  std::vector<int> good = co_await eddy::gather(std::move(clients));
  int failures = 0;
  for (int i = 0; i < kClients; ++i) {
    if (good[i] == kRequests) {
      std::cout << "client " << i << ": " << kRequests
                << " responses on one connection, then closed by the server" << std::endl;
    } else {
      std::cout << "client " << i << ": FAILED (" << good[i] << ")" << std::endl;
      ++failures;
    }
  }
  server.close();
  co_await server.wait_closed();
  std::cout << "server: " << stats.requests << " requests on " << stats.connections
            << " connections" << std::endl;
  co_return failures == 0 && stats.requests == kClients* kRequests ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  long port = -1;
  double duration = 10;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      port = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--duration" && i + 1 < argc) {
      duration = std::strtod(argv[++i], nullptr);
    } else if (arg == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--port N [--duration S] [--host H]]\n", argv[0]);
      return 2;
    }
  }
  if (port < 0) return eddy::run(self_test());
  return eddy::run(serve_for(host, static_cast<uint16_t>(port), duration));
}
