// The stream socket transport (see socket_transport.h). The control flow
// follows CPython 3.12's _SelectorSocketTransport method for method, so the
// order of protocol callbacks, the water-mark rules and the error paths are
// asyncio's; the comments name where eddy differs and why.
#include "net/socket_transport.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/log.h"
#include "net/server_state.h"
#include "net/util.h"

namespace eddy::detail {
namespace {

bool is_os_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const OSError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

SocketTransport::SocketTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                                 std::shared_ptr<ServerState> server)
    : StreamTransportBase(loop, std::move(protocol), "socket",
                          "a stream transport needs a Protocol or a BufferedProtocol",
                          &dispatch<SocketTransport, &SocketTransport::read_ready>,
                          &dispatch<SocketTransport, &SocketTransport::write_ready>),
      server_(std::move(server)) {
  own_fd(fd);
  names_.read(fd_);
  if (names_.sockname.family() == AF_INET || names_.sockname.family() == AF_INET6) {
    // asyncio's _set_nodelay: small writes go out at once.
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (server_) server_->attach(this);
}

SocketTransport::~SocketTransport() {
  if (server_) server_->detach(this);
}

// ---- Reading ----

bool SocketTransport::receive(char* buf, size_t size, size_t* got) {
  ssize_t n;
  do {
    n = ::recv(fd_, buf, size, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (!would_block(errno)) fatal_error(os_error(errno), "Fatal read error on socket transport");
    return false;
  }
  if (n == 0) {
    read_eof();
    return false;
  }
  *got = static_cast<size_t>(n);
  return true;
}

void SocketTransport::read_ready() {
  if (buffered_) {
    read_ready_buffered();
    return;
  }
  if (conn_lost_) return;
  char* buf = transport_read_buffer();
  size_t n;
  if (!receive(buf, kMaxRead, &n)) return;
  try {
    stream_->data_received(std::string_view(buf, n));
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
  }
}

void SocketTransport::read_ready_buffered() {
  if (conn_lost_) return;
  std::span<char> buf;
  try {
    buf = buffered_->get_buffer(-1);
    if (buf.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.get_buffer() call failed.");
    return;
  }
  size_t n;
  if (!receive(buf.data(), buf.size(), &n)) return;
  try {
    buffered_->buffer_updated(n);
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.buffer_updated() call failed.");
  }
}

void SocketTransport::read_eof() {
  remove_reader();
  bool keep_open = false;
  try {
    keep_open = call_eof_received();
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
    return;
  }
  // Keeping it open: the reader stays removed (nothing more will come); the
  // protocol closes the transport when it is done writing.
  if (!keep_open) close();
}

// ---- Writing ----

ssize_t SocketTransport::send_now(std::string_view data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (would_block(errno)) break;
    write_failed(errno);
    return -1;
  }
  return static_cast<ssize_t>(sent);
}

void SocketTransport::write_failed(int err) {
  fatal_error(os_error(err), "Fatal write error on socket transport");
}

void SocketTransport::write(std::string_view data) {
  if (eof_) throw RuntimeError("Cannot call write() after write_eof()");
  if (empty_waiter_.state() != nullptr) {
    throw RuntimeError("unable to write; sendfile is in progress");
  }
  if (data.empty()) return;
  if (conn_lost_) {
    drop_write("socket.send() raised exception.");
    return;
  }
  write_or_buffer(data, [this](std::string_view d) { return send_now(d); });
}

void SocketTransport::writelines(std::span<const std::string_view> list_of_data) {
  if (eof_) throw RuntimeError("Cannot call writelines() after write_eof()");
  if (empty_waiter_.state() != nullptr) {
    throw RuntimeError("unable to writelines; sendfile is in progress");
  }
  if (list_of_data.empty()) return;
  if (conn_lost_ || !buffer_.empty()) {
    for (std::string_view d : list_of_data) write(d);
    return;
  }
  // One sendmsg for all of it (asyncio 3.12 does the same).
  write_gathered(
      list_of_data,
      [this](const iovec* iov, size_t count) {
        msghdr msg{};
        msg.msg_iov = const_cast<iovec*>(iov);
        msg.msg_iovlen = count;
        return ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      },
      [this](int err) { write_failed(err); });
}

void SocketTransport::write_ready() {
  if (conn_lost_) return;
  ssize_t n = send_now(buffer_.view());
  if (n < 0) {
    buffer_.clear();
    return;  // fatal_error closed everything
  }
  buffer_.consume(static_cast<size_t>(n));
  maybe_resume_protocol();  // may append to the buffer
  if (buffer_.empty()) finish_flush();
}

void SocketTransport::finish_flush() {
  remove_writer();
  if (empty_waiter_.state() != nullptr && !empty_waiter_.done()) empty_waiter_.set_result();
  if (closing_) {
    call_connection_lost(nullptr);
  } else if (eof_) {
    ::shutdown(fd_, SHUT_WR);
  }
}

void SocketTransport::write_eof() {
  if (closing_ || eof_) return;
  eof_ = true;
  if (buffer_.empty()) ::shutdown(fd_, SHUT_WR);
}

// ---- sendfile ----

Future<> SocketTransport::begin_sendfile() {
  if (empty_waiter_.state() != nullptr) throw RuntimeError("Empty waiter is already set");
  empty_waiter_ = Future<>(loop_);
  if (buffer_.empty()) empty_waiter_.set_result();
  return empty_waiter_;
}

void SocketTransport::end_sendfile() { empty_waiter_ = Future<>(); }

// ---- Closing ----

void SocketTransport::fatal_error(std::exception_ptr exc, const char* message) {
  // A reset or broken connection is the peer's doing, not a bug.
  report_fatal(message, exc, is_os_error(exc));
  force_close(std::move(exc));
}

void SocketTransport::losing_connection() {
  if (empty_waiter_.state() != nullptr && !empty_waiter_.done()) {
    empty_waiter_.set_exception(ConnectionError(0, "Connection is closed by peer"));
  }
}

void SocketTransport::released() {
  closing_ = true;
  if (server_) {
    server_->detach(this);
    server_.reset();
  }
}

}  // namespace eddy::detail
