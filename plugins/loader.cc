#include "loader.h"

#include <dlfcn.h>

#include <cctype>
#include <cstring>
#include <exception>

#include "absl/strings/str_format.h"
#include "eddy/log.h"

namespace eddy::plugins {
namespace {

void host_log(void*, int32_t level, const char* msg) {
  eddy::log(level, msg ? msg : "(null message from plugin)");
}

const eddy_host kHost = {sizeof(eddy_host), 0, nullptr, &host_log};

// The vtable slots every ABI 1.0 backend must fill.
bool mandatory_slots_present(const eddy_loop_vtable* vt) {
  return vt->loop_create && vt->loop_destroy && vt->call_soon && vt->call_soon_threadsafe &&
         vt->cancel && vt->call_at && vt->time && vt->add_reader && vt->add_writer &&
         vt->remove_reader && vt->remove_writer && vt->run_once && vt->run_forever &&
         vt->stop && vt->close && vt->is_running && vt->is_closed && vt->set_debug;
}

// How far the loader reads a plugin's strings (loader.h): a plugin's
// string without a NUL must not make the host read on into whatever follows
// it (found by tests/fuzz/loader_fuzz.cc, which caught strlen() doing so).
constexpr size_t kMaxNameLength = 32;
constexpr size_t kMaxStringLength = 255;

bool valid_name(const char* name) {
  if (!name) return false;
  size_t n = strnlen(name, kMaxNameLength + 1);
  if (n == 0 || n > kMaxNameLength) return false;
  for (const char* p = name; *p; ++p) {
    if (!std::islower(static_cast<unsigned char>(*p)) &&
        !std::isdigit(static_cast<unsigned char>(*p)) && *p != '_' && *p != '-') {
      return false;
    }
  }
  return true;
}

std::string safe_str(const char* s) {
  return s ? std::string(s, strnlen(s, kMaxStringLength)) : std::string();
}

std::string describe_exception(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

const eddy_host* host_services() { return &kHost; }

absl::StatusOr<LoadedBackend> negotiate_entry(eddy_backend_negotiate_fn entry,
                                              const std::string& path) {
  eddy_negotiate_in in{};
  in.struct_size = sizeof(in);
  in.abi_min = EDDY_ABI_VERSION(1, 0);
  in.abi_max = EDDY_ABI_VERSION_CURRENT;
  in.host = &kHost;
  // The descriptor sits in front of a canary: a plugin that writes past the
  // struct_size we gave it (ABI rule 3) is caught here instead of silently
  // corrupting the host's stack.
  constexpr unsigned char kCanary = 0xa5;
  struct {
    eddy_backend_desc desc;
    unsigned char canary[256];
  } guarded;
  std::memset(&guarded, 0, sizeof guarded);
  std::memset(guarded.canary, kCanary, sizeof guarded.canary);
  eddy_backend_desc& desc = guarded.desc;
  desc.struct_size = sizeof(desc);

  int32_t rc;
  try {
    rc = entry(&in, &desc);
  } catch (...) {
    return absl::InternalError(
        absl::StrFormat("%s: plugin threw a C++ exception out of %s (%s); it breaks ABI rule 4",
                        path, EDDY_BACKEND_ENTRY_SYMBOL, describe_exception(std::current_exception())));
  }
  bool overrun = desc.struct_size > sizeof(desc);
  for (unsigned char c : guarded.canary) overrun |= c != kCanary;
  if (overrun) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the plugin wrote past the host's %d-byte eddy_backend_desc (it reports %d bytes); "
        "it breaks ABI rule 3 (honour the caller's struct_size)",
        path, sizeof(desc), desc.struct_size));
  }
  if (rc == EDDY_ERR_INCOMPATIBLE) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: incompatible ABI version: host speaks %d.%d to %d.%d, the plugin none of them", path,
        EDDY_ABI_MAJOR(in.abi_min), EDDY_ABI_MINOR(in.abi_min), EDDY_ABI_MAJOR(in.abi_max),
        EDDY_ABI_MINOR(in.abi_max)));
  }
  if (rc != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: negotiation failed: %s (%s)", path, eddy_strerror(rc), eddy_err_name(rc)));
  }
  if (desc.abi_version < in.abi_min || desc.abi_version > in.abi_max) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: incompatible ABI version: the plugin chose %d.%d, outside the offered %d.%d to %d.%d",
        path, EDDY_ABI_MAJOR(desc.abi_version), EDDY_ABI_MINOR(desc.abi_version),
        EDDY_ABI_MAJOR(in.abi_min), EDDY_ABI_MINOR(in.abi_min), EDDY_ABI_MAJOR(in.abi_max),
        EDDY_ABI_MINOR(in.abi_max)));
  }
  // An older plugin may answer with a smaller descriptor, but ABI 1.0's
  // fields (up to the vtable) must all be there.
  if (desc.struct_size < offsetof(eddy_backend_desc, vtable) + sizeof(desc.vtable)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the plugin's eddy_backend_desc is %d bytes, too small for ABI 1.0 (%d)", path,
        desc.struct_size, offsetof(eddy_backend_desc, vtable) + sizeof(desc.vtable)));
  }
  if (!valid_name(desc.name)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the plugin's name is missing or malformed (want 1-32 of [a-z0-9_-])", path));
  }
  const eddy_loop_vtable* vt = desc.vtable;
  if (!vt || vt->struct_size < offsetof(eddy_loop_vtable, set_debug) + sizeof(void*)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: backend '%s' has no loop vtable or one too small for ABI 1.0", path,
                        desc.name));
  }
  if (!mandatory_slots_present(vt)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: backend '%s' leaves a mandatory vtable slot NULL", path, desc.name));
  }

  LoadedBackend out;
  out.vtable = vt;
  out.info.name = desc.name;
  out.info.version = safe_str(desc.version);
  out.info.description = safe_str(desc.description);
  out.info.path = path;
  out.info.abi_version = desc.abi_version;
  out.info.capabilities = desc.capabilities;
  out.info.priority = desc.priority;
  out.info.available = true;
  if (desc.probe) {
    char reason[512] = {0};
    int32_t prc;
    try {
      prc = desc.probe(&kHost, reason, sizeof reason);
    } catch (...) {
      out.info.available = false;
      out.info.reason = absl::StrFormat("probe threw a C++ exception (%s)",
                                        describe_exception(std::current_exception()));
      return out;
    }
    if (prc != 0) {
      reason[sizeof reason - 1] = '\0';
      out.info.available = false;
      out.info.reason = reason[0] ? std::string(reason)
                                  : absl::StrFormat("probe failed: %s", eddy_strerror(prc));
    }
  }
  return out;
}

absl::StatusOr<LoadedBackend> load_plugin(const std::string& path) {
  // RTLD_LOCAL keeps each plugin's symbols to itself; RTLD_NODELETE because
  // plugins are never unloaded (their vtables and strings are static).
  dlerror();
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!lib) {
    const char* err = dlerror();
    return absl::NotFoundError(
        absl::StrFormat("%s: cannot load plugin: %s", path, err ? err : "dlopen failed"));
  }
  void* sym = dlsym(lib, EDDY_BACKEND_ENTRY_SYMBOL);
  if (!sym) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: not an eddy backend plugin (no '%s' symbol)", path, EDDY_BACKEND_ENTRY_SYMBOL));
  }
  return negotiate_entry(reinterpret_cast<eddy_backend_negotiate_fn>(sym), path);
}

}  // namespace eddy::plugins
