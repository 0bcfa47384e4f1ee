#include "eddy/exceptions.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "eddy/loop_abi.h"

namespace eddy {
namespace {

std::string with_context(const char* context, const char* message) {
  if (!context || !*context) return message;
  return std::string(context) + ": " + message;
}

}  // namespace

void raise_for_code(int32_t code, const char* context) {
  if (code == 0) return;
  const char* msg = eddy_strerror(code);
  switch (code) {
    case EDDY_ERR_CLOSED:
    case EDDY_ERR_RUNNING:
    case EDDY_ERR_CLOSE_RUNNING:
    case EDDY_ERR_STOPPED:
      // asyncio's own wording, unprefixed: tests and users match on it.
      throw RuntimeError(msg);
    case -EINVAL:
      throw ValueError(with_context(context, msg));
    default:
      break;
  }
  if (code < 0 && code > -4096) throw OSError(-code, with_context(context, msg));
  throw RuntimeError(with_context(context, msg));
}

void raise_os_error(int err, const std::string& what) {
  std::string text = std::strerror(err);
  if (!what.empty()) text += ": '" + what + "'";
  raise_os_error_text(err, text);
}

void raise_os_error_text(int err, const std::string& text) {
  std::string msg = "[Errno " + std::to_string(err) + "] " + text;
  switch (err) {
    case ENOENT:
      throw FileNotFoundError(err, msg);
    case EACCES:
    case EPERM:
      throw PermissionError(err, msg);
    case ESRCH:
      throw ProcessLookupError(err, msg);
    case ECHILD:
      throw ChildProcessError(err, msg);
    case EPIPE:
    case ESHUTDOWN:
      throw BrokenPipeError(err, msg);
    case ECONNRESET:
      throw ConnectionResetError(err, msg);
    case ECONNREFUSED:
      throw ConnectionRefusedError(err, msg);
    case ECONNABORTED:
      throw ConnectionAbortedError(err, msg);
    default:
      throw OSError(err, msg);
  }
}

IncompleteReadError::IncompleteReadError(std::string partial, std::optional<size_t> expected)
    : EOFError(std::to_string(partial.size()) + " bytes read on a total of " +
               (expected ? std::to_string(*expected) : std::string("undefined")) +
               " expected bytes"),
      partial_(std::move(partial)),
      expected_(expected) {}

absl::Status status_from_code(int32_t code, const char* context) {
  if (code == 0) return absl::OkStatus();
  std::string msg = with_context(context, eddy_strerror(code));
  if (code < 0 && code > -4096) return absl::ErrnoToStatus(-code, with_context(context, ""));
  switch (code) {
    case EDDY_ERR_INCOMPATIBLE:
    case EDDY_ERR_BAD_STRUCT:
      return absl::FailedPreconditionError(msg);
    case EDDY_ERR_NOT_SUPPORTED:
      return absl::UnimplementedError(msg);
    case EDDY_ERR_NOT_FOUND:
      return absl::NotFoundError(msg);
    case EDDY_ERR_UNAVAILABLE:
      return absl::UnavailableError(msg);
    case EDDY_ERR_CANCELLED:
      return absl::CancelledError(msg);
    default:
      return absl::InternalError(msg);
  }
}

bool is_cancelled_error(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace eddy
