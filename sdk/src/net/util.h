// util.h -- what the network layer's files share: name resolution with
// asyncio's shortcut for numeric addresses, errno -> exception helpers, and
// a descriptor that closes itself unless handed on.
//
// Thread-safety: resolve() runs on the loop's thread; the rest are pure.
#ifndef EDDY_SDK_SRC_NET_UTIL_H_
#define EDDY_SDK_SRC_NET_UTIL_H_

#include <unistd.h>

#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/coro.h"
#include "eddy/sockets.h"

namespace eddy::detail {

// getaddrinfo(host, port, family, type, proto, flags). A numeric host and
// port are answered at once, without the executor round trip (asyncio's
// _ipaddr_info); anything else goes to getaddrinfo in the default executor.
Coro<std::vector<AddrInfo>> resolve(EventLoop& loop, const std::string& host,
                                    const std::string& port, int family, int type, int proto,
                                    int flags);

// The OSError subclass for err, as an exception_ptr.
std::exception_ptr os_error(int err);

// strerror(err) in lower case, as asyncio's bind error messages print it.
std::string lower_strerror(int err);

// A unix socket path as an error message shows it: control bytes (the NUL
// that starts an abstract name) as \xNN, the rest as is, like Python's repr.
std::string printable_path(std::string_view path);

// Closes a descriptor at the end of its scope unless release()d: socket set-up
// that throws (or, in a coroutine, is cancelled) leaks nothing.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_UTIL_H_
