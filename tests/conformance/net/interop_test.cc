// Interop with CPython's asyncio (/usr/bin/python3, skipped if missing), on
// every backend (issue 6): a Python asyncio client against an eddy streams
// server, and an eddy client against a Python asyncio server, every byte
// checked.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "net_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using testing::kHost;
using testing::pattern;
using testing::port_of;

class InteropTest : public testing::TaskTest {};

// What the eddy server received, and when it was done.
struct Received {
  std::string data;
  Event done;
};

// ---- Interop with CPython's asyncio ----

const char* const kPython = "/usr/bin/python3";

// An asyncio client: sends blocks of every size, checks each echo, then
// half-closes and expects EOF.
const char kPythonClient[] = R"PY(
import asyncio, sys

def block(n, seed):
    return bytes(((i * 31) + seed * 7) % 251 for i in range(n))

SIZES = [1, 2, 100, 4096, 65535, 65536, 65537, 1 << 20]

async def main(port):
    r, w = await asyncio.open_connection('127.0.0.1', port)
    for seed, n in enumerate(SIZES):
        data = block(n, seed)
        w.write(data)
        await w.drain()
        back = await r.readexactly(n)
        if back != data:
            sys.exit('echo mismatch in block %d' % seed)
    w.write_eof()
    rest = await r.read()
    if rest:
        sys.exit('unexpected bytes after EOF')
    w.close()
    await w.wait_closed()
    print('ok', sum(SIZES))

asyncio.run(main(int(sys.argv[1])))
)PY";

// Echoes and records everything the client sends.
Coro<> recording_echo(StreamReader r, StreamWriter w, Received* seen) {
  for (;;) {
    std::string data = co_await r.read(65536);
    if (data.empty()) break;
    seen->data += data;
    w.write(data);
    co_await w.drain();
  }
  w.close();
  co_await w.wait_closed();
  seen->done.set();
}

Coro<> python_client_eddy_server() {
  Received seen;
  auto cb = [&seen](StreamReader r, StreamWriter w) { return recording_echo(r, w, &seen); };
  Server server = co_await start_server(cb, kHost, 0);
  SubprocessOptions o;
  o.std_out = PIPE;
  o.std_err = PIPE;
  std::string program = kPython;
  std::vector<std::string> args = {"-c", kPythonClient, std::to_string(port_of(server))};
  Process proc = co_await create_subprocess_exec(program, args, o);
  auto [out, err] = co_await wait_for(proc.communicate(), 60s);
  int rc = co_await proc.wait();
  EXPECT_EQ(rc, 0) << err;
  const size_t sizes[] = {1, 2, 100, 4096, 65535, 65536, 65537, 1 << 20};
  std::string expected;
  size_t total = 0;
  for (size_t seed = 0; seed < std::size(sizes); ++seed) {
    expected += pattern(sizes[seed], seed);
    total += sizes[seed];
  }
  EXPECT_EQ(out, "ok " + std::to_string(total) + "\n") << err;
  co_await wait_for(seen.done.wait(), 10s);
  EXPECT_EQ(seen.data.size(), expected.size());
  EXPECT_TRUE(seen.data == expected) << "the server received other bytes";
  server.close();
  co_await server.wait_closed();
}

TEST_P(InteropTest, InteropPythonAsyncioClientEddyServer) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << "no " << kPython;
  run_coro(python_client_eddy_server());
}

// An asyncio server: reads one connection to EOF and answers with the
// length (8 bytes, big-endian) and the data reversed.
const char kPythonServer[] = R"PY(
import asyncio

async def main():
    done = asyncio.Event()

    async def handle(r, w):
        data = await r.read()
        w.write(len(data).to_bytes(8, 'big'))
        w.write(data[::-1])
        await w.drain()
        w.close()
        await w.wait_closed()
        done.set()

    srv = await asyncio.start_server(handle, '127.0.0.1', 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.wait_for(done.wait(), 60)
    srv.close()
    await srv.wait_closed()
    print('served', flush=True)

asyncio.run(main())
)PY";

Coro<> eddy_client_python_server() {
  SubprocessOptions o;
  o.std_out = PIPE;
  std::string program = kPython;
  std::vector<std::string> args = {"-c", kPythonServer};
  Process proc = co_await create_subprocess_exec(program, args, o);
  StreamReader out = proc.std_out();
  std::string port = co_await wait_for(out.readline(), 30s);
  EXPECT_FALSE(port.empty());
  if (port.empty()) co_return;
  auto [r, w] = co_await open_connection(kHost, static_cast<uint16_t>(std::stoi(port)));
  const size_t total = 3u << 20;
  const size_t chunk = 100000;
  for (size_t at = 0; at < total; at += chunk) {
    w.write(pattern(std::min(chunk, total - at), 13, at));
    co_await w.drain();
  }
  w.write_eof();
  std::string header = co_await r.readexactly(8);
  uint64_t n = 0;
  for (unsigned char c : header) n = (n << 8) | c;
  EXPECT_EQ(n, total);
  std::string body = co_await r.readexactly(static_cast<std::ptrdiff_t>(n));
  std::string expected = pattern(total, 13);
  std::reverse(expected.begin(), expected.end());
  EXPECT_TRUE(body == expected) << "the reversed echo differs";
  EXPECT_EQ(co_await r.read(), "");
  w.close();
  co_await w.wait_closed();
  EXPECT_EQ(co_await wait_for(out.readline(), 30s), "served\n");
  EXPECT_EQ(co_await wait_for(proc.wait(), 30s), 0);
}

TEST_P(InteropTest, InteropEddyClientPythonAsyncioServer) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << "no " << kPython;
  run_coro(eddy_client_python_server());
}

EDDY_INSTANTIATE_TASK_SUITE(InteropTest);

}  // namespace
}  // namespace eddy
