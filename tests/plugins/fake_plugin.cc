// fake_plugin.cc -- deliberately broken (and one deliberately odd but valid)
// backend plugins for the loader tests. Each variant is this file compiled
// with one FAKE_* define (see meson.build); none is named eddy-backend-*.so,
// so the registry never picks them up by itself.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "eddy/backend/export.h"
#include "epoll_poller.h"

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

std::unique_ptr<eddy::backend::Poller> make_poller() {
  return std::make_unique<eddy::backends::epoll::EpollPoller>();
}

[[maybe_unused]] int32_t probe_ok(const eddy_host*, char*, size_t) { return 0; }

[[maybe_unused]] int32_t probe_fails(const eddy_host*, char* reason, size_t size) {
  std::snprintf(reason, size, "fake: the frobnicator is missing on this machine");
  return -ENODEV;
}

[[maybe_unused]] int32_t probe_throws(const eddy_host*, char*, size_t) {
  throw std::runtime_error("probe exploded");
}

#if defined(FAKE_PROBE_FAILS)
constexpr auto kProbe = &probe_fails;
#elif defined(FAKE_PROBE_THROWS)
constexpr auto kProbe = &probe_throws;
#else
constexpr auto kProbe = &probe_ok;
#endif

#ifdef FAKE_BAD_NAME
constexpr const char* kName = "Bad Name!";
#else
constexpr const char* kName = FAKE_NAME;
#endif

const eddy::backend::PluginSpec kSpec = {kName, "0.0.1", "a fake backend for loader tests", 0,
                                         1, kProbe, &make_poller};

int32_t create(const eddy_loop_config* c, eddy_loop** out) {
  return eddy::backend::create_loop(kSpec, c, out);
}

eddy_loop_vtable make_fake_vtable() {
  eddy_loop_vtable vt = eddy::backend::make_vtable(&create);
#ifdef FAKE_NULL_MANDATORY
  vt.call_soon = nullptr;
#endif
  // Optional slots left NULL must be fine.
  vt.native_handle = nullptr;
  vt.get_extension = nullptr;
  return vt;
}

const eddy_loop_vtable kVtable = make_fake_vtable();

// Strings with no NUL (found by tests/fuzz/loader_fuzz.cc): a name longer
// than any valid one, and a version longer than the loader keeps. Both
// arrays are larger than what a correct loader reads of them.
template <size_t N>
struct Unterminated {
  char bytes[N];
};
template <size_t N>
constexpr Unterminated<N> unterminated(char c) {
  Unterminated<N> s{};
  for (char& b : s.bytes) b = c;
  return s;
}
[[maybe_unused]] constexpr auto kUnterminatedName = unterminated<40>('a');
[[maybe_unused]] constexpr auto kUnterminatedVersion = unterminated<300>('v');

// A descriptor from a "future" SDK: larger than the host's. Honours the
// host's struct_size, as the rules say.
struct FutureDesc {
  eddy_backend_desc v1;
  uint64_t added_in_1_5;
};

}  // namespace

#ifndef FAKE_NO_ENTRY
FAKE_EXPORT int32_t eddy_backend_negotiate(const eddy_negotiate_in* in, eddy_backend_desc* out) {
  (void)in;
#ifdef FAKE_NEGOTIATE_THROWS
  throw std::runtime_error("negotiate exploded");
#endif
  const uint32_t mine = FAKE_ABI;
#ifndef FAKE_LIAR
  if (mine < in->abi_min || mine > in->abi_max) return EDDY_ERR_INCOMPATIBLE;
#endif
  FutureDesc d{};
  d.v1.struct_size = sizeof(FutureDesc);
  d.v1.abi_version = mine;
  d.v1.name = kSpec.name;
  d.v1.version = kSpec.version;
  d.v1.description = kSpec.description;
  d.v1.priority = kSpec.priority;
  d.v1.probe = kSpec.probe;
  d.v1.vtable = &kVtable;
  d.added_in_1_5 = 42;
#ifdef FAKE_UNTERMINATED_NAME
  d.v1.name = kUnterminatedName.bytes;
#endif
#ifdef FAKE_UNTERMINATED_VERSION
  d.v1.version = kUnterminatedVersion.bytes;
#endif
#if defined(FAKE_OVERRUN)
  // Broken: writes its whole, larger descriptor whatever the host's size.
  std::memcpy(out, &d, sizeof d);
#elif defined(FAKE_SMALL_DESC)
  // Broken: claims a descriptor that ends before the vtable.
  std::memcpy(out, &d, offsetof(eddy_backend_desc, probe));
  out->struct_size = offsetof(eddy_backend_desc, probe);
#else
  size_t n = out->struct_size < sizeof d ? out->struct_size : sizeof d;
  std::memcpy(out, &d, n);
  out->struct_size = static_cast<uint32_t>(n);
#endif
  return 0;
}
#else
FAKE_EXPORT int32_t not_the_entry_symbol(void) { return 0; }
#endif
