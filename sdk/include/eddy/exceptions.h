// eddy/exceptions.h -- asyncio's exception types, in C++.
//
// Every exception eddy throws at its API has the name asyncio would raise.
// All derive from eddy::Error (itself std::exception), except CancelledError,
// which -- as in Python 3.8+, where it is a BaseException -- deliberately
// does not, so `catch (const eddy::Error&)` never swallows a cancellation.
//
// Below the API, eddy reports errors as ABI codes (eddy/errors.h) or
// absl::Status; raise_for_code() is the one place that turns a code into an
// exception.
//
// Thread-safety: these are plain value types.
#ifndef EDDY_EXCEPTIONS_H_
#define EDDY_EXCEPTIONS_H_

#include <cstdint>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace eddy {

class Error : public std::exception {
 public:
  explicit Error(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// Python's RuntimeError: a closed loop, a loop already running, no running loop.
class RuntimeError : public Error {
 public:
  using Error::Error;
};

// Python's ValueError: a bad argument (a negative fd, an unknown option value).
class ValueError : public Error {
 public:
  using Error::Error;
};

// Python's TypeError: an argument of the wrong kind (a datagram protocol
// given to a stream transport).
class TypeError : public Error {
 public:
  using Error::Error;
};

// Python's OSError, carrying errno.
class OSError : public Error {
 public:
  OSError(int err, std::string message) : Error(std::move(message)), errno_(err) {}
  int error_code() const { return errno_; }

 private:
  int errno_;
};

// OSError's subclasses that asyncio code catches by name. raise_os_error()
// picks the right one for an errno.
class FileNotFoundError : public OSError {
 public:
  using OSError::OSError;
};
class PermissionError : public OSError {
 public:
  using OSError::OSError;
};
class ProcessLookupError : public OSError {
 public:
  using OSError::OSError;
};
class ChildProcessError : public OSError {
 public:
  using OSError::OSError;
};
// Python's ConnectionError family: what a write to a pipe whose reader is
// gone (BrokenPipeError) or a lost connection (ConnectionResetError) raises.
class ConnectionError : public OSError {
 public:
  using OSError::OSError;
};
class BrokenPipeError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
class ConnectionResetError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
// connect() found nobody listening (ECONNREFUSED).
class ConnectionRefusedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
// The connection was aborted before accept() took it (ECONNABORTED).
class ConnectionAbortedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
// Python's socket.gaierror: getaddrinfo / getnameinfo failed. error_code()
// is the EAI_* code (negative on Linux); the message is gai_strerror's,
// "[Errno -2] Name or service not known".
class gaierror : public OSError {
 public:
  using OSError::OSError;
};

// Throws the OSError subclass Python would raise for `err` (FileNotFoundError
// for ENOENT, PermissionError for EACCES/EPERM, ...), with Python's message
// "[Errno 2] No such file or directory: 'what'" (`what` may be empty).
[[noreturn]] void raise_os_error(int err, const std::string& what = {});
// Throws what Python's `raise OSError(err, text)` raises: the subclass for
// `err`, whose message reads "[Errno err] text".
[[noreturn]] void raise_os_error_text(int err, const std::string& text);

// A backend could not be found, loaded, negotiated or probed. Names the
// plugin and the reason. (eddy's own; a RuntimeError for asyncio code.)
class BackendError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

// asyncio.SendfileNotAvailableError: sendfile(2) cannot serve this socket or
// file (a pipe as the source, a transport that is not a plain socket), and
// the caller disabled the fallback. A RuntimeError, as in Python.
class SendfileNotAvailableError : public RuntimeError {
 public:
  SendfileNotAvailableError() : RuntimeError("sendfile syscall is not supported") {}
  using RuntimeError::RuntimeError;
};

class InvalidStateError : public Error {
 public:
  using Error::Error;
};

class TimeoutError : public Error {
 public:
  TimeoutError() : Error("TimeoutError") {}
  using Error::Error;
};

// asyncio.QueueEmpty: get_nowait() on an empty queue.
class QueueEmpty : public Error {
 public:
  QueueEmpty() : Error("QueueEmpty") {}
  using Error::Error;
};

// asyncio.QueueFull: put_nowait() on a full queue.
class QueueFull : public Error {
 public:
  QueueFull() : Error("QueueFull") {}
  using Error::Error;
};

// asyncio.QueueShutDown (3.13): put or get on a queue that was shut down.
class QueueShutDown : public Error {
 public:
  QueueShutDown() : Error("QueueShutDown") {}
  using Error::Error;
};

// asyncio.BrokenBarrierError: a Barrier was aborted or reset while waiting.
// A RuntimeError, as in Python.
class BrokenBarrierError : public RuntimeError {
 public:
  BrokenBarrierError() : RuntimeError("BrokenBarrierError") {}
  using RuntimeError::RuntimeError;
};

// Python's EOFError: the end of a stream came first.
class EOFError : public Error {
 public:
  using Error::Error;
};

// asyncio.IncompleteReadError: the stream ended before readexactly(n) got
// its n bytes (expected() is n) or before readuntil() found a separator
// (expected() is empty, Python's None). partial() holds the bytes read
// before the end. The message is Python's: "3 bytes read on a total of 5
// expected bytes", with "undefined" for an unknown total.
class IncompleteReadError : public EOFError {
 public:
  IncompleteReadError(std::string partial, std::optional<size_t> expected);
  const std::string& partial() const { return partial_; }
  std::optional<size_t> expected() const { return expected_; }

 private:
  std::string partial_;
  std::optional<size_t> expected_;
};

// asyncio.LimitOverrunError: readuntil() reached the stream's limit before
// finding a separator (or found one beyond it). consumed() is how many
// bytes may be consumed: the data is left in the stream's buffer.
class LimitOverrunError : public Error {
 public:
  LimitOverrunError(std::string message, size_t consumed)
      : Error(std::move(message)), consumed_(consumed) {}
  size_t consumed() const { return consumed_; }

 private:
  size_t consumed_;
};

class CancelledError : public std::exception {
 public:
  CancelledError() = default;
  explicit CancelledError(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override {
    return message_.empty() ? "CancelledError" : message_.c_str();
  }
  // The message given to cancel(msg), empty if none.
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

// Whether `e` holds a CancelledError (false for null).
bool is_cancelled_error(const std::exception_ptr& e);

// Python's KeyboardInterrupt: what run() raises when Ctrl-C (SIGINT)
// cancelled its main task. Like CancelledError it is a BaseException in
// Python, so it deliberately does not derive from eddy::Error.
class KeyboardInterrupt : public std::exception {
 public:
  const char* what() const noexcept override { return "KeyboardInterrupt"; }
};

// Throws the exception asyncio would raise for an ABI error code; `context`
// prefixes the message. Does nothing for 0.
void raise_for_code(int32_t code, const char* context = nullptr);

// The absl::Status of an ABI error code (OK for 0).
absl::Status status_from_code(int32_t code, const char* context = nullptr);

}  // namespace eddy

#endif  // EDDY_EXCEPTIONS_H_
