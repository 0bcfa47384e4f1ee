// net_fixture.h -- helpers the network conformance tests share: waiting for a
// condition while the loop runs, looking at exceptions, test data.
//
// Thread-safety: test code, on the loop's thread.
#ifndef EDDY_TESTS_CONFORMANCE_NET_NET_FIXTURE_H_
#define EDDY_TESTS_CONFORMANCE_NET_NET_FIXTURE_H_

#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <utility>

#include "../tasks/task_fixture.h"

namespace eddy::testing {

inline const std::string kHost = "127.0.0.1";

// n bytes of a pattern that differs per seed and per offset.
inline std::string pattern(size_t n, size_t seed, size_t offset = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(((offset + i) * 31 + seed * 7) % 251);
  return s;
}

// The port of a server's first listening socket.
inline uint16_t port_of(const Server& server) { return server.sockets().at(0).port(); }

// Waits until pred() holds, polling each millisecond; false after `limit`.
inline Coro<bool> wait_until(std::function<bool()> pred,
                             std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto tick = std::chrono::milliseconds(1);
  for (auto waited = std::chrono::milliseconds(0); waited < limit; waited += tick) {
    if (pred()) co_return true;
    co_await sleep(tick);
  }
  co_return pred();
}

// Runs the loop n iterations.
inline Coro<> spin(int n) {
  auto zero = std::chrono::milliseconds(0);
  for (int i = 0; i < n; ++i) co_await sleep(zero);
}

// The exception's message ("null" for none).
inline std::string what(const std::exception_ptr& e) {
  if (!e) return "null";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

// Whether e holds an E (or a subclass).
template <class E>
bool is(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

// Awaits `aw` and returns what it raised (null if it returned).
template <class A>
Coro<std::exception_ptr> raised(A aw) {
  try {
    co_await std::move(aw);
  } catch (...) {
    co_return std::current_exception();
  }
  co_return nullptr;
}

}  // namespace eddy::testing

#endif  // EDDY_TESTS_CONFORMANCE_NET_NET_FIXTURE_H_
