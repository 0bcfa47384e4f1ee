// util.h -- what the network layer's files share: name resolution with
// asyncio's shortcut for numeric addresses, and errno -> exception helpers.
//
// Thread-safety: resolve() runs on the loop's thread; the rest are pure.
#ifndef EDDY_SDK_SRC_NET_UTIL_H_
#define EDDY_SDK_SRC_NET_UTIL_H_

#include <exception>
#include <string>
#include <string_view>
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

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_UTIL_H_
