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
#include <exception>
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

// Python's OSError, carrying errno.
class OSError : public Error {
 public:
  OSError(int err, std::string message) : Error(std::move(message)), errno_(err) {}
  int error_code() const { return errno_; }

 private:
  int errno_;
};

// A backend could not be found, loaded, negotiated or probed. Names the
// plugin and the reason. (eddy's own; a RuntimeError for asyncio code.)
class BackendError : public RuntimeError {
 public:
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

// Throws the exception asyncio would raise for an ABI error code; `context`
// prefixes the message. Does nothing for 0.
void raise_for_code(int32_t code, const char* context = nullptr);

// The absl::Status of an ABI error code (OK for 0).
absl::Status status_from_code(int32_t code, const char* context = nullptr);

}  // namespace eddy

#endif  // EDDY_EXCEPTIONS_H_
