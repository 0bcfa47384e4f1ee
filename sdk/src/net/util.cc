// The network layer's shared helpers (see util.h).
#include "net/util.h"

#include <netdb.h>
#include <string.h>

#include <cctype>
#include <charconv>

#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"

namespace eddy::detail {

Coro<std::vector<AddrInfo>> resolve(EventLoop& loop, const std::string& host,
                                    const std::string& port, int family, int type, int proto,
                                    int flags) {
  unsigned port_number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  bool numeric_port = ec == std::errc() && end == port.data() + port.size() && port_number < 65536;
  if (numeric_port && !host.empty()) {
    SockAddr addr;
    bool numeric_host = true;
    try {
      addr = SockAddr::from_ip(host, static_cast<uint16_t>(port_number));
    } catch (const ValueError&) {
      numeric_host = false;
    }
    if (numeric_host && (family == AF_UNSPEC || family == addr.family())) {
      AddrInfo info;
      info.family = addr.family();
      info.type = type;
      info.protocol = proto ? proto : (type == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP);
      info.addr = addr;
      co_return std::vector<AddrInfo>{info};
    }
  }
  co_return co_await getaddrinfo(loop, host, port, family, type, proto, flags);
}

std::exception_ptr os_error(int err) {
  try {
    raise_os_error(err);
  } catch (...) {
    return std::current_exception();
  }
}

std::string lower_strerror(int err) {
  char buf[256];
  std::string s = ::strerror_r(err, buf, sizeof buf);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string printable_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace eddy::detail
