// The loader against broken plugins: every failure is a clear message naming
// the file and the reason, never a crash; selection precedence; eddy-info.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "eddy/backends.h"
#include "eddy/event_loop.h"
#include "eddy/log.h"

namespace eddy {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string fake(const std::string& variant) {
  return std::string(FAKE_PLUGIN_DIR) + "/fake-" + variant + ".so";
}

std::string load_error(const std::string& path) {
  auto r = plugins::load_plugin_file(path);
  EXPECT_FALSE(r.ok()) << path << " loaded but should not";
  return r.ok() ? std::string() : std::string(r.status().message());
}

TEST(LoaderTest, MissingFile) {
  std::string msg = load_error("/nonexistent/eddy-backend-nope.so");
  EXPECT_THAT(msg, HasSubstr("/nonexistent/eddy-backend-nope.so"));
  EXPECT_THAT(msg, HasSubstr("cannot load plugin"));
}

TEST(LoaderTest, NotASharedObject) {
  std::string path = fs::temp_directory_path() / "eddy-garbage-plugin.so";
  std::ofstream(path) << "this is not an ELF file\n";
  EXPECT_THAT(load_error(path), HasSubstr("cannot load plugin"));
  fs::remove(path);
}

TEST(LoaderTest, NoEntrySymbol) {
  std::string msg = load_error(fake("noentry"));
  EXPECT_THAT(msg, HasSubstr("not an eddy backend plugin"));
  EXPECT_THAT(msg, HasSubstr("eddy_backend_negotiate"));
}

TEST(LoaderTest, TooOldAndTooNewAreIncompatible) {
  EXPECT_THAT(load_error(fake("too-old")), HasSubstr("incompatible ABI version"));
  EXPECT_THAT(load_error(fake("too-new")), HasSubstr("incompatible ABI version"));
}

TEST(LoaderTest, APluginChoosingAVersionOutsideTheRangeIsRefused) {
  std::string msg = load_error(fake("liar"));
  EXPECT_THAT(msg, HasSubstr("chose 2.0"));
}

TEST(LoaderTest, ANullMandatorySlotIsRefused) {
  EXPECT_THAT(load_error(fake("null-slot")), HasSubstr("mandatory vtable slot NULL"));
}

TEST(LoaderTest, AThrowingNegotiateIsContained) {
  std::string msg = load_error(fake("negotiate-throws"));
  EXPECT_THAT(msg, HasSubstr("threw a C++ exception"));
  EXPECT_THAT(msg, HasSubstr("negotiate exploded"));
}

TEST(LoaderTest, APluginWritingPastTheHostsDescriptorIsRefused) {
  std::string msg = load_error(fake("overrun"));
  EXPECT_THAT(msg, HasSubstr("fake-overrun.so"));
  EXPECT_THAT(msg, HasSubstr("wrote past the host's"));
  EXPECT_THAT(msg, HasSubstr("ABI rule 3"));
}

TEST(LoaderTest, ADescriptorTooSmallForAbi10IsRefused) {
  EXPECT_THAT(load_error(fake("small-desc")), HasSubstr("too small for ABI 1.0"));
}

TEST(LoaderTest, AMalformedNameIsRefused) {
  EXPECT_THAT(load_error(fake("bad-name")), HasSubstr("name is missing or malformed"));
}

// Found by tests/fuzz/loader_fuzz.cc: the loader ran strlen() over the
// plugin's strings, reading past an unterminated one (ASan:
// heap-buffer-overflow). It now reads at most 33 bytes of a name and 255
// of a version or description (under ASan this test catches any further
// read: the arrays are just 40 and 300 bytes long).
TEST(LoaderTest, AnUnterminatedNameIsRefusedWithoutReadingPastIt) {
  EXPECT_THAT(load_error(fake("unterminated-name")), HasSubstr("name is missing or malformed"));
}

TEST(LoaderTest, AnUnterminatedVersionIsCutAt255Bytes) {
  auto r = plugins::load_plugin_file(fake("unterminated-version"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->info.name, "longversion");
  EXPECT_EQ(r->info.version, std::string(255, 'v'));
}

TEST(LoaderTest, ProbeFailuresCarryTheReason) {
  EXPECT_THAT(load_error(fake("probe-fails")), HasSubstr("frobnicator is missing"));
  std::string msg = load_error(fake("probe-throws"));
  EXPECT_THAT(msg, HasSubstr("probe threw"));
  EXPECT_THAT(msg, HasSubstr("probe exploded"));
}

TEST(LoaderTest, ALargerDescriptorAndNullOptionalSlotsWork) {
  // fake-ok answers with a descriptor larger than the host's (honouring the
  // host's struct_size) and leaves native_handle/get_extension NULL.
  auto r = plugins::load_plugin_file(fake("ok"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->info.name, "fakeok");
  LoopOptions o;
  o.backend = fake("ok");
  EventLoop loop(o);
  EXPECT_EQ(loop.backend(), "fakeok");
  EXPECT_EQ(loop.native_handle("epoll_fd"), nullptr);
  int ran = 0;
  loop.call_soon([&] { ++ran; });
  loop.run_once(std::chrono::nanoseconds(0));
  EXPECT_EQ(ran, 1);
}

TEST(LoaderTest, CreatingALoopOnABrokenPluginThrowsBackendError) {
  LoopOptions o;
  o.backend = fake("null-slot");
  try {
    EventLoop loop(o);
    FAIL() << "no exception";
  } catch (const BackendError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("fake-null-slot.so"));
  }
}

// A directory of plugins as the registry sees them: eddy-backend-*.so links
// to the fakes.
class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("eddy-registry-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    for (const char* v : {"ok", "probe-fails", "noentry", "too-new"}) {
      fs::create_symlink(fake(v), dir_ / (std::string("eddy-backend-") + v + ".so"));
    }
    setenv("EDDY_BACKEND_PATH", dir_.c_str(), 1);
    unsetenv("EDDY_BACKEND");
  }
  void TearDown() override {
    unsetenv("EDDY_BACKEND_PATH");
    unsetenv("EDDY_BACKEND");
    fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(RegistryTest, AvailableBackendsListsTheUnusableWithReasons) {
  auto all = available_backends();
  auto find = [&](const std::string& name) -> const BackendInfo* {
    for (auto& b : all) {
      if (b.name == name) return &b;
    }
    return nullptr;
  };
  ASSERT_NE(find("epoll"), nullptr);
  EXPECT_TRUE(find("epoll")->available);
  ASSERT_NE(find("fakeok"), nullptr);
  EXPECT_TRUE(find("fakeok")->available);
  ASSERT_NE(find("probefails"), nullptr);
  EXPECT_FALSE(find("probefails")->available);
  EXPECT_THAT(find("probefails")->reason, HasSubstr("frobnicator"));
  // Unloadable files are listed under the name in their file name.
  ASSERT_NE(find("noentry"), nullptr);
  EXPECT_THAT(find("noentry")->reason, HasSubstr("not an eddy backend plugin"));
  ASSERT_NE(find("too-new"), nullptr);
  EXPECT_THAT(find("too-new")->reason, HasSubstr("incompatible"));
  // Available ones come first, by priority.
  EXPECT_EQ(all.front().name, "epoll");
}

TEST_F(RegistryTest, SelectionPrecedence) {
  // Default: the highest priority available backend.
  EXPECT_EQ(EventLoop().backend(), "epoll");
  // EDDY_BACKEND beats the default...
  setenv("EDDY_BACKEND", "fakeok", 1);
  EXPECT_EQ(EventLoop().backend(), "fakeok");
  // ...and LoopOptions beats EDDY_BACKEND.
  LoopOptions o;
  o.backend = "epoll";
  EXPECT_EQ(EventLoop(o).backend(), "epoll");
}

TEST_F(RegistryTest, AnUnknownNameListsWhatIsInstalled) {
  LoopOptions o;
  o.backend = "nosuchloop";
  try {
    EventLoop loop(o);
    FAIL() << "no exception";
  } catch (const BackendError& e) {
    std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr("no eddy backend named 'nosuchloop'"));
    EXPECT_THAT(msg, HasSubstr("available: epoll"));
    EXPECT_THAT(msg, HasSubstr("fakeok"));
  }
}

TEST_F(RegistryTest, AnUnavailableBackendSaysWhy) {
  setenv("EDDY_BACKEND", "probefails", 1);
  try {
    EventLoop loop;
    FAIL() << "no exception";
  } catch (const BackendError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("frobnicator is missing"));
  }
}

TEST_F(RegistryTest, EddyInfoListsBackendsAndReasons) {
  std::string cmd = std::string(EDDY_INFO_PATH) + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0);
  EXPECT_THAT(out, HasSubstr("selected: epoll"));
  EXPECT_THAT(out, HasSubstr("epoll"));
  EXPECT_THAT(out, HasSubstr("available"));
  EXPECT_THAT(out, HasSubstr("unavailable: fake: the frobnicator is missing"));
}

}  // namespace
}  // namespace eddy
