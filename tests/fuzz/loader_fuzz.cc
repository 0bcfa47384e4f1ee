// A libFuzzer target for the plugin loader's negotiation
// (plugins/loader.h, negotiate_entry). The input is what a broken or
// hostile plugin's eddy_backend_negotiate does: which code it returns (or
// whether it throws), what it writes into the descriptor -- any struct_size
// and ABI version, bytes past the struct the host gave it, NULL or
// unterminated names, versions and descriptions, absurd priorities and
// capability bits, no probe or one that fails, throws or fills the whole
// reason buffer -- and a loop vtable that is NULL, short, or has NULL
// slots. It may also log through the host, with a NULL message.
//
// Every string a fake plugin hands out lies in a heap block of exactly
// kStringRoom bytes with no NUL guaranteed, and every vtable in a block of
// exactly the struct_size it reports: under ASan, a loader that reads a
// string further than it documents, or a vtable past its struct_size, is a
// crash. The result is checked against a model of the ABI's rules:
// negotiate_entry accepts exactly the well-formed descriptors, copies
// their fields faithfully, marks the backend unavailable with a reason
// exactly when the probe fails, and names the path in every error.
//
// Thread-safety: test code.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "eddy/log.h"
#include "eddy/loop_abi.h"
#include "fuzz_check.h"
#include "loader.h"

namespace {

// How far the loader reads a plugin's strings (loader.h): a name is
// rejected beyond 32 bytes, a version or description is cut at 255.
constexpr size_t kStringRoom = 256;
constexpr char kPath[] = "/fuzz/eddy-backend-fuzz.so";

// A string slot as the plugin hands it out.
struct FakeString {
  std::unique_ptr<char[]> block;  // kStringRoom bytes, or null for NULL
  const char* get() const { return block.get(); }
  // What a correct loader makes of it: up to the first NUL, at most 255.
  std::string expected() const {
    return block ? std::string(block.get(), strnlen(block.get(), kStringRoom - 1)) : std::string();
  }
};

FakeString make_string(FuzzedDataProvider& in) {
  FakeString s;
  if (in.ConsumeIntegralInRange(0, 7) == 0) return s;  // NULL
  s.block = std::make_unique<char[]>(kStringRoom);
  std::string bytes = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(0, kStringRoom));
  // Short inputs make valid names often: a lowercase run, then a NUL.
  if (in.ConsumeBool()) {
    for (char& c : bytes) c = static_cast<char>('a' + static_cast<unsigned char>(c) % 26);
  }
  // Whatever the input leaves, the rest of the block is filled with 'x':
  // no NUL unless the input put one there.
  std::memset(s.block.get(), 'x', kStringRoom);
  std::memcpy(s.block.get(), bytes.data(), bytes.size());
  if (in.ConsumeBool() && bytes.size() < kStringRoom) s.block[bytes.size()] = '\0';
  return s;
}

bool valid_name(const FakeString& s) {
  if (!s.block) return false;
  size_t n = strnlen(s.get(), 33);
  if (n == 0 || n > 32) return false;
  for (size_t i = 0; i < n; ++i) {
    char c = s.get()[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

// Dummy loop functions: the loader never calls them, only checks them.
int32_t fake_create(const eddy_loop_config*, eddy_loop**) { return EDDY_ERR_INTERNAL; }
void fake_destroy(eddy_loop*) {}
int32_t fake_handle(eddy_loop*, eddy_handle*) { return 0; }
int32_t fake_call_at(eddy_loop*, eddy_timer*, int64_t) { return 0; }
int64_t fake_time(eddy_loop*) { return 0; }
int32_t fake_add(eddy_loop*, int32_t, eddy_io_fn, void*) { return 0; }
int32_t fake_remove(eddy_loop*, int32_t) { return 0; }
int32_t fake_run_once(eddy_loop*, int64_t) { return 0; }
int32_t fake_loop(eddy_loop*) { return 0; }
int32_t fake_set_debug(eddy_loop*, int32_t, int64_t) { return 0; }
int32_t fake_native(eddy_loop*, const char**, void**) { return EDDY_ERR_NOT_SUPPORTED; }
int32_t fake_extension(eddy_loop*, const char*, const void**) { return EDDY_ERR_NOT_SUPPORTED; }

constexpr size_t kMandatoryEnd = offsetof(eddy_loop_vtable, set_debug) + sizeof(void*);

// A vtable in a block of exactly its reported struct_size.
struct FakeVtable {
  std::unique_ptr<unsigned char[]> block;
  uint32_t size = 0;
  bool all_mandatory = true;
  const eddy_loop_vtable* get() const {
    return reinterpret_cast<const eddy_loop_vtable*>(block.get());
  }
};

FakeVtable make_vtable(FuzzedDataProvider& in) {
  FakeVtable v;
  if (in.ConsumeIntegralInRange(0, 7) == 0) return v;  // NULL
  eddy_loop_vtable full{};
  full.struct_size = sizeof full;
  uint32_t nulls = in.ConsumeIntegralInRange(0, 3) == 0 ? in.ConsumeIntegral<uint32_t>() : 0;
  int slot = 0;
  auto fill = [&](auto& field, auto fn) {
    if (!(nulls & (1u << slot++))) field = fn;
  };
  fill(full.loop_create, &fake_create);
  fill(full.loop_destroy, &fake_destroy);
  fill(full.call_soon, &fake_handle);
  fill(full.call_soon_threadsafe, &fake_handle);
  fill(full.cancel, &fake_handle);
  fill(full.call_at, &fake_call_at);
  fill(full.time, &fake_time);
  fill(full.add_reader, &fake_add);
  fill(full.add_writer, &fake_add);
  fill(full.remove_reader, &fake_remove);
  fill(full.remove_writer, &fake_remove);
  fill(full.run_once, &fake_run_once);
  fill(full.run_forever, &fake_loop);
  fill(full.stop, &fake_loop);
  fill(full.close, &fake_loop);
  fill(full.is_running, &fake_loop);
  fill(full.is_closed, &fake_loop);
  fill(full.set_debug, &fake_set_debug);
  v.all_mandatory = (nulls & ((1u << slot) - 1)) == 0;
  fill(full.native_handle, &fake_native);
  fill(full.get_extension, &fake_extension);
  // Its size: the full struct, a shorter one (an older or broken plugin),
  // or a longer one (a newer plugin, zero-filled beyond what we know).
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      v.size = in.ConsumeIntegralInRange<uint32_t>(sizeof(uint32_t), sizeof full);
      break;
    case 1:
      v.size = in.ConsumeIntegralInRange<uint32_t>(sizeof full, sizeof full + 256);
      break;
    default:
      v.size = sizeof full;
      break;
  }
  full.struct_size = v.size;
  v.block = std::make_unique<unsigned char[]>(v.size);
  std::memset(v.block.get(), 0, v.size);
  std::memcpy(v.block.get(), &full, std::min<size_t>(v.size, sizeof full));
  return v;
}

// Fake probes: what the descriptor's probe slot points to.
thread_local int32_t g_probe_rc = 0;
thread_local std::string g_probe_reason;

int32_t probe_returns(const eddy_host* host, char* reason, size_t reason_size) {
  CHECK(host != nullptr && host->log != nullptr);
  CHECK(reason != nullptr && reason_size > 0);
  if (g_probe_rc != 0) {
    // Fills the buffer up to its very end, without a NUL if the reason is
    // that long: the loader must terminate it itself.
    size_t n = std::min(g_probe_reason.size(), reason_size);
    std::memcpy(reason, g_probe_reason.data(), n);
    if (n < reason_size) reason[n] = '\0';
  }
  return g_probe_rc;
}

int32_t probe_throws(const eddy_host*, char*, size_t) { throw std::runtime_error("probe threw"); }

// What the fake entry does, chosen from the input before the call.
struct Plan {
  bool throws = false;
  int32_t rc = 0;
  bool set_size = false;
  uint32_t size = 0;
  uint32_t abi_version = EDDY_ABI_VERSION_CURRENT;
  FakeString name, version, description;
  uint64_t capabilities = 0;
  int32_t priority = 0;
  int probe = 0;  // 0: NULL, 1: probe_returns, 2: probe_throws
  FakeVtable vtable;
  std::string overrun;  // bytes written just past the host's descriptor
  bool log = false;
  FakeString log_message;
};

thread_local Plan* g_plan = nullptr;

int32_t fake_entry(const eddy_negotiate_in* in, eddy_backend_desc* out) {
  Plan& p = *g_plan;
  // What the host offers must itself be well-formed.
  CHECK(in != nullptr && out != nullptr);
  CHECK(in->struct_size >= sizeof(eddy_negotiate_in));
  CHECK(in->abi_min <= in->abi_max && in->abi_max == EDDY_ABI_VERSION_CURRENT);
  CHECK(in->host != nullptr && in->host->log != nullptr);
  CHECK(out->struct_size == sizeof(eddy_backend_desc));
  if (p.log) {
    const char* msg = p.log_message.get();
    // The host copies a NUL-terminated message; give it one.
    if (msg) p.log_message.block[kStringRoom - 1] = '\0';
    in->host->log(in->host->arg, EDDY_LOG_INFO, msg);
  }
  if (p.throws) throw std::runtime_error("entry threw");
  out->abi_version = p.abi_version;
  out->name = p.name.get();
  out->version = p.version.get();
  out->description = p.description.get();
  out->capabilities = p.capabilities;
  out->priority = p.priority;
  out->probe = p.probe == 1 ? &probe_returns : p.probe == 2 ? &probe_throws : nullptr;
  out->vtable = p.vtable.get();
  if (p.set_size) out->struct_size = p.size;
  // The host's descriptor is followed by at least the 256 bytes of its
  // canary; a plugin that writes further is beyond what can be caught.
  std::memcpy(reinterpret_cast<unsigned char*>(out) + sizeof *out, p.overrun.data(),
              p.overrun.size());
  return p.rc;
}

Plan make_plan(FuzzedDataProvider& in) {
  Plan p;
  p.throws = in.ConsumeIntegralInRange(0, 31) == 0;
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
      p.rc = EDDY_ERR_INCOMPATIBLE;
      break;
    case 1:
      p.rc = in.ConsumeIntegral<int32_t>();
      break;
    case 2:
      p.rc = EDDY_ERR_BAD_STRUCT;
      break;
    default:
      p.rc = 0;
      break;
  }
  if (in.ConsumeIntegralInRange(0, 3) == 0) {
    p.set_size = true;
    p.size = in.ConsumeBool()
                 ? in.ConsumeIntegral<uint32_t>()
                 : in.ConsumeIntegralInRange<uint32_t>(0, sizeof(eddy_backend_desc) + 8);
  }
  if (in.ConsumeIntegralInRange(0, 3) == 0) {
    p.abi_version = in.ConsumeBool() ? in.ConsumeIntegral<uint32_t>()
                                     : EDDY_ABI_VERSION(in.ConsumeIntegralInRange(0, 2),
                                                        in.ConsumeIntegralInRange(0, 2));
  }
  p.name = make_string(in);
  p.version = make_string(in);
  p.description = make_string(in);
  p.capabilities = in.ConsumeIntegral<uint64_t>();
  p.priority = in.ConsumeIntegral<int32_t>();
  p.probe = in.ConsumeIntegralInRange(0, 2);
  g_probe_rc = in.ConsumeBool() ? 0 : in.ConsumeIntegral<int32_t>();
  g_probe_reason = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(0, 600));
  p.vtable = make_vtable(in);
  if (in.ConsumeIntegralInRange(0, 7) == 0) {
    p.overrun = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(0, 256));
  }
  p.log = in.ConsumeIntegralInRange(0, 3) == 0;
  if (p.log) p.log_message = make_string(in);
  return p;
}

// The ABI's rules (loop_abi.h, docs/backend-contract.md) for a usable
// descriptor, checked independently of the loader.
bool acceptable(const Plan& p) {
  if (p.throws || p.rc != 0) return false;
  uint32_t size = p.set_size ? p.size : sizeof(eddy_backend_desc);
  if (size > sizeof(eddy_backend_desc)) return false;  // wrote past the host's struct
  for (char c : p.overrun) {
    if (static_cast<unsigned char>(c) != 0xa5) return false;  // changed the canary
  }
  if (p.abi_version != EDDY_ABI_VERSION_CURRENT) return false;
  if (size < offsetof(eddy_backend_desc, vtable) + sizeof(void*)) return false;
  if (!valid_name(p.name)) return false;
  if (!p.vtable.block || p.vtable.size < kMandatoryEnd) return false;
  return p.vtable.all_mandatory;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  eddy::set_log_sink([](int32_t, std::string_view) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Plan plan = make_plan(in);
  g_plan = &plan;
  absl::StatusOr<eddy::plugins::LoadedBackend> got =
      eddy::plugins::negotiate_entry(&fake_entry, kPath);
  g_plan = nullptr;
  bool ok = acceptable(plan);
  if (!got.ok()) {
    CHECK(!ok);
    CHECK(got.status().message().find(kPath) != std::string::npos);
    return 0;
  }
  CHECK(ok);
  const eddy::BackendInfo& info = got->info;
  CHECK(got->vtable == plan.vtable.get());
  CHECK(info.name == plan.name.expected());
  CHECK(info.version == plan.version.expected());
  CHECK(info.description == plan.description.expected());
  CHECK(info.path == kPath);
  CHECK(info.abi_version == EDDY_ABI_VERSION_CURRENT);
  CHECK(info.capabilities == plan.capabilities);
  CHECK(info.priority == plan.priority);
  bool probe_fails = plan.probe == 2 || (plan.probe == 1 && g_probe_rc != 0);
  CHECK(info.available == !probe_fails);
  CHECK(info.reason.empty() == !probe_fails);
  CHECK(info.reason.size() < 512);
  return 0;
}
