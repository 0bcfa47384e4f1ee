// sendfile and sock_sendfile (issue 6): the native sendfile(2) path over a
// TCP transport and a raw socket, offset and count, the fallback paths (a
// pipe that sendfile(2) refuses, a transport that is not a socket),
// SendfileNotAvailableError, the transport's lock (write() raises, reading
// paused), and a connection lost mid-transfer, on every backend.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::is;
using testing::raised;
using testing::spin;
using testing::wait_until;
using testing::what;

class SendfileTest : public testing::TaskTest {};

char pattern(size_t i) { return static_cast<char>((i * 131 + (i >> 11)) & 0xff); }

// Counts the bytes that differ from pattern(), starting at file offset `at`.
size_t mismatches(const std::string& got, size_t at) {
  size_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) bad += got[i] != pattern(at + i);
  return bad;
}

// An unlinked temporary file of `size` pattern bytes; the caller closes it.
int pattern_file(size_t size) {
  char name[] = "/tmp/eddy-sendfile-XXXXXX";
  int fd = ::mkstemp(name);
  EXPECT_GE(fd, 0);
  ::unlink(name);
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = pattern(i);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data.data() + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

off_t position(int fd) { return ::lseek(fd, 0, SEEK_CUR); }

// Collects what it receives; can hold reading off.
struct Sink : Protocol {
  Transport* transport = nullptr;
  std::string data;
  std::vector<std::string> events;
  std::exception_ptr lost_with;
  int lost = 0;
  int pauses = 0, resumes = 0;
  bool start_paused = false;

  void connection_made(Transport& t) override {
    transport = &t;
    events.push_back("made");
    if (start_paused) t.pause_reading();
  }
  void data_received(std::string_view d) override { data.append(d); }
  void connection_lost(std::exception_ptr e) override {
    events.push_back("lost");
    ++lost;
    lost_with = e;
  }
  void pause_writing() override { ++pauses; }
  void resume_writing() override { ++resumes; }
};

// A server whose accepted protocols are kept for inspection.
struct Accepted {
  std::vector<std::shared_ptr<Sink>> all;
  bool start_paused = false;
  std::function<std::shared_ptr<Sink>()> factory() {
    return [this] {
      auto s = std::make_shared<Sink>();
      s->start_paused = start_paused;
      all.push_back(s);
      return s;
    };
  }
};

struct Pair {
  Server server;
  std::shared_ptr<Transport> client;
  std::shared_ptr<Sink> client_protocol;
  Sink* peer = nullptr;  // the server's protocol of this connection
};

std::shared_ptr<Sink> sink() { return std::make_shared<Sink>(); }

Coro<Pair> connect_pair(Accepted* accepted) {
  std::string host = "127.0.0.1";
  Pair p;
  p.server = co_await create_server(accepted->factory(), host, 0);
  uint16_t port = p.server.sockets().at(0).port();
  auto [t, proto] = co_await create_connection(sink, host, port);
  p.client = t;
  p.client_protocol = proto;
  std::vector<std::shared_ptr<Sink>>* all = &accepted->all;
  EXPECT_TRUE(co_await wait_until([&] { return !all->empty(); }));
  if (!accepted->all.empty()) p.peer = accepted->all.back().get();
  co_return p;
}

Coro<> shut(Pair* p) {
  p->client->close();
  p->server.close();
  p->server.close_clients();
  co_await p->server.wait_closed();
}

// ---- Native path over a TCP transport ----

Coro<> big_file(Accepted* accepted, int fd, size_t size) {
  Pair p = co_await connect_pair(accepted);
  ::lseek(fd, 123, SEEK_SET);
  size_t sent = co_await sendfile(p.client, fd, 0, 0, false);  // native only
  EXPECT_EQ(sent, size);
  EXPECT_EQ(position(fd), 123);  // the file's own offset did not move
  Sink* peer = p.peer;
  EXPECT_TRUE(co_await wait_until([&] { return peer->data.size() >= size; }));
  EXPECT_EQ(peer->data.size(), size);
  EXPECT_EQ(mismatches(peer->data, 0), 0u);
  // The transport is itself again: writes go out, reading came back.
  EXPECT_EQ(p.client->get_protocol(), p.client_protocol);
  EXPECT_TRUE(p.client->is_reading());
  p.client->write("tail");
  peer->transport->write("reply");
  Sink* mine = p.client_protocol.get();
  EXPECT_TRUE(co_await wait_until([&] { return peer->data.size() == size + 4; }));
  EXPECT_TRUE(co_await wait_until([&] { return mine->data == "reply"; }));
  EXPECT_EQ(p.client_protocol->pauses, 0);
  co_await shut(&p);
}

TEST_P(SendfileTest, TcpTransportSendsAMultiMegabyteFileNatively) {
  const size_t size = 6u << 20;
  int fd = pattern_file(size);
  Accepted accepted;
  run_coro(big_file(&accepted, fd, size));
  ::close(fd);
}

Coro<> offset_and_count(Accepted* accepted, int fd, size_t size) {
  Pair p = co_await connect_pair(accepted);
  Sink* peer = p.peer;
  size_t a = co_await sendfile(p.client, fd, 1000, 5000);
  EXPECT_EQ(a, 5000u);
  // A count past the end sends what there is.
  size_t b = co_await sendfile(p.client, fd, static_cast<off_t>(size - 300), 100000);
  EXPECT_EQ(b, 300u);
  // At the end: nothing.
  size_t c = co_await sendfile(p.client, fd, static_cast<off_t>(size), 0);
  EXPECT_EQ(c, 0u);
  EXPECT_TRUE(co_await wait_until([&] { return peer->data.size() >= 5300; }));
  EXPECT_EQ(peer->data.size(), 5300u);
  EXPECT_EQ(mismatches(peer->data.substr(0, 5000), 1000), 0u);
  EXPECT_EQ(mismatches(peer->data.substr(5000), size - 300), 0u);
  EXPECT_EQ(position(fd), 0);
  bool raised = false;
  try {
    co_await sendfile(p.client, fd, -1, 10);
  } catch (const ValueError& e) {
    raised = true;
    EXPECT_EQ(std::string(e.what()), "offset must be a non-negative integer (got -1)");
  }
  EXPECT_TRUE(raised);
  co_await shut(&p);
}

TEST_P(SendfileTest, OffsetAndCount) {
  const size_t size = 300000;
  int fd = pattern_file(size);
  Accepted accepted;
  run_coro(offset_and_count(&accepted, fd, size));
  ::close(fd);
}

Coro<> buffered_first(Accepted* accepted, int fd, size_t size) {
  accepted->start_paused = true;  // the peer reads nothing at first
  Pair p = co_await connect_pair(accepted);
  Sink* peer = p.peer;
  // Fill the socket so that this prefix stays in the transport's buffer.
  std::string prefix(4u << 20, 'P');
  p.client->write(prefix);
  EXPECT_GT(p.client->get_write_buffer_size(), 0u);
  Task<size_t> sending = create_task(sendfile(p.client, fd, 0, 0));
  co_await spin(3);
  EXPECT_FALSE(sending.done());  // waiting for the buffer to drain
  EXPECT_FALSE(p.client->is_reading());
  peer->transport->resume_reading();
  size_t sent = co_await sending;
  EXPECT_EQ(sent, size);
  EXPECT_TRUE(co_await wait_until([&] { return peer->data.size() >= prefix.size() + size; }));
  EXPECT_EQ(peer->data.size(), prefix.size() + size);
  EXPECT_EQ(peer->data.find_first_not_of('P'), prefix.size());
  EXPECT_EQ(mismatches(peer->data.substr(prefix.size()), 0), 0u);
  co_await shut(&p);
}

TEST_P(SendfileTest, BufferedDataGoesOutFirst) {
  const size_t size = 1u << 20;
  int fd = pattern_file(size);
  Accepted accepted;
  run_coro(buffered_first(&accepted, fd, size));
  ::close(fd);
}

// ---- The transport's lock ----

Coro<> write_during_sendfile(Accepted* accepted, int fd, size_t size) {
  accepted->start_paused = true;
  Pair p = co_await connect_pair(accepted);
  Sink* peer = p.peer;
  Task<size_t> sending = create_task(sendfile(p.client, fd, 0, 0));
  co_await spin(3);
  EXPECT_FALSE(sending.done());  // the peer reads nothing: the socket is full
  bool raised = false;
  try {
    p.client->write("sneaking in");
  } catch (const RuntimeError& e) {
    raised = true;
    EXPECT_EQ(std::string(e.what()), "unable to write; sendfile is in progress");
  }
  EXPECT_TRUE(raised);
  std::string_view parts[] = {"a", "b"};
  EXPECT_THROW(p.client->writelines(parts), RuntimeError);
  // A second transfer on the same transport is refused.
  bool second = false;
  try {
    co_await sendfile(p.client, fd, 0, 10);
  } catch (const RuntimeError& e) {
    second = true;
    EXPECT_THAT(e.what(), HasSubstr("already"));
  }
  EXPECT_TRUE(second);
  // Data from the peer waits: reading is paused during the transfer.
  peer->transport->write("during");
  co_await spin(10);
  EXPECT_EQ(p.client_protocol->data, "");
  peer->transport->resume_reading();
  size_t sent = co_await sending;
  EXPECT_EQ(sent, size);
  Sink* mine = p.client_protocol.get();
  EXPECT_TRUE(co_await wait_until([&] { return mine->data == "during"; }));
  p.client->write("after");
  EXPECT_TRUE(co_await wait_until([&] { return peer->data.size() == size + 5; }));
  EXPECT_EQ(peer->data.substr(size), "after");
  co_await shut(&p);
}

TEST_P(SendfileTest, WriteDuringSendfileRaisesAndReadingIsPaused) {
  const size_t size = 16u << 20;
  int fd = pattern_file(size);
  Accepted accepted;
  run_coro(write_during_sendfile(&accepted, fd, size));
  ::close(fd);
}

Coro<> closing_transport(Accepted* accepted, int fd) {
  Pair p = co_await connect_pair(accepted);
  p.client->close();
  bool raised = false;
  try {
    co_await sendfile(p.client, fd);
  } catch (const RuntimeError& e) {
    raised = true;
    EXPECT_EQ(std::string(e.what()), "Transport is closing");
  }
  EXPECT_TRUE(raised);
  co_await shut(&p);
}

TEST_P(SendfileTest, ClosingTransportRaises) {
  int fd = pattern_file(100);
  Accepted accepted;
  run_coro(closing_transport(&accepted, fd));
  ::close(fd);
}

// ---- Lost connections and cancellation ----

Coro<> peer_goes_away(Accepted* accepted, int fd) {
  accepted->start_paused = true;
  Pair p = co_await connect_pair(accepted);
  Sink* peer = p.peer;
  Task<size_t> sending = create_task(sendfile(p.client, fd, 0, 0));
  co_await spin(3);
  EXPECT_FALSE(sending.done());
  // The peer closes with unread data: a reset.
  peer->transport->abort();
  std::exception_ptr failed;
  try {
    auto limit = 10s;
    co_await wait_for(sending, limit);
  } catch (...) {
    failed = std::current_exception();
  }
  EXPECT_TRUE(is<ConnectionError>(failed)) << (failed ? "another error" : "no error");
  // The transport notices once reading resumes.
  Sink* mine = p.client_protocol.get();
  EXPECT_TRUE(co_await wait_until([&] { return mine->lost == 1; }));
  co_await shut(&p);
}

TEST_P(SendfileTest, PeerClosingMidTransferRaisesConnectionError) {
  int fd = pattern_file(16u << 20);
  Accepted accepted;
  run_coro(peer_goes_away(&accepted, fd));
  ::close(fd);
}

Coro<> local_abort(Accepted* accepted, int fd) {
  accepted->start_paused = true;
  Pair p = co_await connect_pair(accepted);
  Task<size_t> sending = create_task(sendfile(p.client, fd, 0, 0));
  co_await spin(3);
  EXPECT_FALSE(sending.done());
  p.client->abort();
  std::exception_ptr failed;
  try {
    auto limit = 10s;
    co_await wait_for(sending, limit);
  } catch (...) {
    failed = std::current_exception();
  }
  EXPECT_TRUE(is<ConnectionError>(failed));
  // The application's protocol got connection_lost, once, and is back.
  EXPECT_EQ(p.client_protocol->lost, 1);
  EXPECT_EQ(p.client->get_protocol(), p.client_protocol);
  co_await spin(3);
  EXPECT_EQ(p.client_protocol->lost, 1);
  co_await shut(&p);
}

TEST_P(SendfileTest, AbortMidTransferRaisesConnectionError) {
  int fd = pattern_file(16u << 20);
  Accepted accepted;
  run_coro(local_abort(&accepted, fd));
  ::close(fd);
}

Coro<> cancel_mid_transfer(Accepted* accepted, int fd, size_t size) {
  accepted->start_paused = true;
  Pair p = co_await connect_pair(accepted);
  Sink* peer = p.peer;
  Task<size_t> sending = create_task(sendfile(p.client, fd, 0, 0));
  co_await spin(3);
  sending.cancel();
  bool cancelled = false;
  try {
    co_await sending;
  } catch (const CancelledError&) {
    cancelled = true;
  }
  EXPECT_TRUE(cancelled);
  // Everything is put back: writes work, reading resumed, protocol restored.
  EXPECT_TRUE(p.client->is_reading());
  EXPECT_EQ(p.client->get_protocol(), p.client_protocol);
  p.client->write("after cancel");
  peer->transport->resume_reading();
  EXPECT_TRUE(co_await wait_until([&] {
    return peer->data.size() >= 12 && peer->data.substr(peer->data.size() - 12) == "after cancel";
  }));
  // What came before is a prefix of the file.
  size_t file_part = peer->data.size() - 12;
  EXPECT_LT(file_part, size);
  EXPECT_EQ(mismatches(peer->data.substr(0, file_part), 0), 0u);
  co_await shut(&p);
}

TEST_P(SendfileTest, CancelledTransferRestoresTheTransport) {
  const size_t size = 16u << 20;
  int fd = pattern_file(size);
  Accepted accepted;
  run_coro(cancel_mid_transfer(&accepted, fd, size));
  ::close(fd);
}

// ---- Fallbacks ----

// Writes `size` pattern bytes into a pipe from a thread, then closes it.
struct PipeFeeder {
  int read_fd = -1;
  std::thread writer;
  explicit PipeFeeder(size_t size) {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_fd = fds[0];
    int w = fds[1];
    writer = std::thread([w, size] {
      std::string data(size, '\0');
      for (size_t i = 0; i < size; ++i) data[i] = pattern(i);
      size_t done = 0;
      while (done < size) {
        ssize_t n = ::write(w, data.data() + done, size - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(w);
    });
  }
  ~PipeFeeder() {
    if (read_fd >= 0) ::close(read_fd);  // unblocks a writer nobody reads
    writer.join();
  }
};

Coro<> pipe_fallback(Accepted* accepted, int pipe_fd, size_t size) {
  Pair p = co_await connect_pair(accepted);
  Sink* peer = p.peer;
  // sendfile(2) refuses a pipe: without the fallback that is the error...
  bool unavailable = false;
  try {
    co_await sendfile(p.client, pipe_fd, 0, 0, false);
  } catch (const SendfileNotAvailableError& e) {
    unavailable = true;
    EXPECT_EQ(std::string(e.what()), "os.sendfile call failed");
  }
  EXPECT_TRUE(unavailable);
  // ... and nothing was consumed or sent; the transport is usable.
  EXPECT_EQ(p.client->get_protocol(), p.client_protocol);
  // With it, the pipe is read and sent to its end.
  size_t sent = co_await sendfile(p.client, pipe_fd, 0, 0, true);
  EXPECT_EQ(sent, size);
  EXPECT_TRUE(co_await wait_until([&] { return peer->data.size() >= size; }));
  EXPECT_EQ(peer->data.size(), size);
  EXPECT_EQ(mismatches(peer->data, 0), 0u);
  // A pipe has no offsets to start from.
  bool raised = false;
  try {
    co_await sendfile(p.client, pipe_fd, 10, 0, true);
  } catch (const OSError& e) {
    raised = true;
    EXPECT_EQ(e.error_code(), ESPIPE);
  }
  EXPECT_TRUE(raised);
  co_await shut(&p);
}

TEST_P(SendfileTest, PipeFallsBackOrRaisesSendfileNotAvailable) {
  const size_t size = 3u << 20;
  PipeFeeder feeder(size);
  Accepted accepted;
  run_coro(pipe_fallback(&accepted, feeder.read_fd, size));
}

// A transport that is not a socket: writes go to a string that a "network"
// timer drains slowly, with asyncio's water marks and protocol calls.
class MemoryTransport final : public Transport {
 public:
  MemoryTransport(EventLoop& loop, std::shared_ptr<BaseProtocol> p)
      : loop_(loop), protocol_(std::move(p)) {}
  std::string delivered;  // what the "network" took, in order
  std::string buffer;     // written, not yet delivered
  int writes = 0;
  bool reading = true;
  bool closing = false;

  // Delivers up to n buffered bytes and applies the low-water mark.
  void drain(size_t n) {
    n = std::min(n, buffer.size());
    delivered.append(buffer, 0, n);
    buffer.erase(0, n);
    if (paused_ && buffer.size() <= low_) {
      paused_ = false;
      protocol_->resume_writing();
    }
  }
  void lose(std::exception_ptr e) {
    closing = true;
    protocol_->connection_lost(e);
  }

  void close() override { closing = true; }
  bool is_closing() const override { return closing; }
  ExtraInfo get_extra_info(std::string_view) const override { return std::monostate(); }
  void set_protocol(std::shared_ptr<BaseProtocol> p) override { protocol_ = std::move(p); }
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  EventLoop& get_loop() const override { return loop_; }
  void pause_reading() override { reading = false; }
  void resume_reading() override { reading = true; }
  bool is_reading() const override { return reading; }
  void write(std::string_view data) override {
    ++writes;
    buffer.append(data);
    if (!paused_ && buffer.size() > high_) {
      paused_ = true;
      protocol_->pause_writing();
    }
  }
  void writelines(std::span<const std::string_view> list) override {
    for (auto d : list) write(d);
  }
  void write_eof() override {}
  bool can_write_eof() const override { return false; }
  void abort() override { closing = true; }
  size_t get_write_buffer_size() const override { return buffer.size(); }
  void set_write_buffer_limits(std::ptrdiff_t high, std::ptrdiff_t low) override {
    high_ = static_cast<size_t>(high);
    low_ = static_cast<size_t>(low);
  }
  std::pair<size_t, size_t> get_write_buffer_limits() const override { return {low_, high_}; }

 private:
  EventLoop& loop_;
  std::shared_ptr<BaseProtocol> protocol_;
  size_t high_ = 64 * 1024;
  size_t low_ = 16 * 1024;
  bool paused_ = false;
};

// Drains the memory transport a little every millisecond until stopped.
Coro<> network(MemoryTransport* t, bool* stop) {
  auto tick = 1ms;
  while (!*stop) {
    t->drain(32 * 1024);
    co_await sleep(tick);
  }
}

Coro<> memory_fallback(int fd, size_t size) {
  auto proto = sink();
  auto t = std::make_shared<MemoryTransport>(get_running_loop(), proto);
  bool unavailable = false;
  try {
    co_await sendfile(t, fd, 0, 0, false);
  } catch (const SendfileNotAvailableError& e) {
    unavailable = true;
    EXPECT_THAT(e.what(), HasSubstr("fallback is disabled"));
  }
  EXPECT_TRUE(unavailable);
  EXPECT_EQ(t->writes, 0);
  bool stop = false;
  Task<> net = create_task(network(t.get(), &stop));
  size_t sent = co_await sendfile(t, fd, 10, 0, true);
  EXPECT_EQ(sent, size - 10);
  // 16 KiB writes, each waiting while the transport is paused: the buffer
  // never grew far past the high-water mark.
  EXPECT_GE(t->writes, static_cast<int>((size - 10) / (16 * 1024)));
  EXPECT_LE(t->get_write_buffer_size(), 64u * 1024 + 16 * 1024);
  MemoryTransport* mt = t.get();
  EXPECT_TRUE(co_await wait_until([&] { return mt->delivered.size() == size - 10; }));
  stop = true;
  co_await net;
  EXPECT_EQ(mismatches(t->delivered, 10), 0u);
  // The application's protocol saw none of the flow control, and is back.
  EXPECT_EQ(proto->pauses, 0);
  EXPECT_EQ(proto->resumes, 0);
  EXPECT_EQ(t->get_protocol(), proto);
  EXPECT_TRUE(t->is_reading());
  EXPECT_EQ(position(fd), 0);
}

TEST_P(SendfileTest, NonSocketTransportUsesTheWriteFallback) {
  const size_t size = 2u << 20;
  int fd = pattern_file(size);
  run_coro(memory_fallback(fd, size));
  ::close(fd);
}

Coro<> memory_lost(int fd) {
  auto proto = sink();
  auto t = std::make_shared<MemoryTransport>(get_running_loop(), proto);
  // Nobody drains: the transfer waits for resume_writing, then the
  // connection is lost.
  Task<size_t> sending = create_task(sendfile(t, fd, 0, 0));
  co_await spin(20);
  EXPECT_FALSE(sending.done());
  t->lose(nullptr);
  std::exception_ptr failed;
  try {
    co_await sending;
  } catch (...) {
    failed = std::current_exception();
  }
  EXPECT_TRUE(is<ConnectionError>(failed));
  EXPECT_EQ(proto->lost, 1);  // forwarded to the application's protocol
  EXPECT_EQ(t->get_protocol(), proto);
}

TEST_P(SendfileTest, NonSocketTransportLostDuringFallbackRaisesConnectionError) {
  int fd = pattern_file(1u << 20);
  run_coro(memory_lost(fd));
  ::close(fd);
}

// ---- sock_sendfile ----

Coro<std::string> read_all(int fd, size_t size) {
  std::string got;
  std::vector<char> buf(64 * 1024);
  while (got.size() < size) {
    size_t n = co_await sock_recv_into(fd, std::span<char>(buf));
    if (n == 0) break;
    got.append(buf.data(), n);
  }
  co_return got;
}

Coro<> raw_socket(int a, int b, int fd, size_t size) {
  Task<std::string> reader = create_task(read_all(b, size - 777));
  size_t sent = co_await sock_sendfile(a, fd, 777);
  EXPECT_EQ(sent, size - 777);
  std::string got = co_await reader;
  EXPECT_EQ(got.size(), size - 777);
  EXPECT_EQ(mismatches(got, 777), 0u);
  EXPECT_EQ(position(fd), 0);
  EventLoop& loop = get_running_loop();
  Task<std::string> reader2 = create_task(read_all(b, 4096));
  size_t sent2 = co_await sock_sendfile(loop, a, fd, 0, 4096);
  EXPECT_EQ(sent2, 4096u);
  std::string got2 = co_await reader2;
  EXPECT_EQ(mismatches(got2, 0), 0u);
}

TEST_P(SendfileTest, SockSendfileOverARawSocket) {
  const size_t size = 5u << 20;
  int fd = pattern_file(size);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  run_coro(raw_socket(sv[0], sv[1], fd, size));
  ::close(sv[0]);
  ::close(sv[1]);
  ::close(fd);
}

Coro<> raw_pipe(int a, int b, int pipe_fd, size_t size) {
  bool unavailable = false;
  try {
    co_await sock_sendfile(a, pipe_fd, 0, 0, false);
  } catch (const SendfileNotAvailableError&) {
    unavailable = true;
  }
  EXPECT_TRUE(unavailable);
  Task<std::string> reader = create_task(read_all(b, size));
  size_t sent = co_await sock_sendfile(a, pipe_fd);
  EXPECT_EQ(sent, size);
  std::string got = co_await reader;
  EXPECT_EQ(got.size(), size);
  EXPECT_EQ(mismatches(got, 0), 0u);
}

TEST_P(SendfileTest, SockSendfileFallsBackForAPipe) {
  const size_t size = 1u << 20;
  PipeFeeder feeder(size);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  run_coro(raw_pipe(sv[0], sv[1], feeder.read_fd, size));
  ::close(sv[0]);
  ::close(sv[1]);
}

template <class E>
Coro<std::string> sock_failure(int sock, int fd, off_t offset) {
  try {
    co_await sock_sendfile(sock, fd, offset);
  } catch (const E& e) {
    co_return e.what();
  }
  co_return "no error";
}

Coro<> raw_bad_arguments(int stream, int blocking, int dgram, int fd) {
  std::string m = co_await sock_failure<ValueError>(blocking, fd, 0);
  EXPECT_EQ(m, "the socket must be non-blocking");
  m = co_await sock_failure<ValueError>(dgram, fd, 0);
  EXPECT_EQ(m, "only SOCK_STREAM type sockets are supported");
  m = co_await sock_failure<ValueError>(stream, fd, -5);
  EXPECT_EQ(m, "offset must be a non-negative integer (got -5)");
  // A closed peer is a ConnectionError on the first call already.
  m = co_await sock_failure<ConnectionError>(stream, fd, 0);
  EXPECT_THAT(m, HasSubstr("Broken pipe"));
}

TEST_P(SendfileTest, SockSendfileArgumentErrors) {
  int fd = pattern_file(1000);
  int sv[2], bv[2], dv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bv), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, dv), 0);
  ::close(sv[1]);
  run_coro(raw_bad_arguments(sv[0], bv[0], dv[0], fd));
  for (int x : {sv[0], bv[0], bv[1], dv[0], dv[1], fd}) ::close(x);
}

EDDY_INSTANTIATE_TASK_SUITE(SendfileTest);

}  // namespace
}  // namespace eddy
