// backend_fixture.h -- runs a test over every backend that loads.
//
// Every behaviour a backend must have is a TEST_P on BackendTest (or a
// subclass), instantiated with EDDY_INSTANTIATE_BACKEND_SUITE(Suite). The
// parameter is a backend name ("epoll") or a plugin path; the test name
// carries it: Backends/LoopTest.CallSoonFifo/epoll.
//
// Which backends: $EDDY_CONFORMANCE_BACKENDS (comma-separated names or plugin
// paths) if set, else every available backend the registry finds.
//
// Thread-safety: test code; single-threaded unless a test says otherwise.
#ifndef EDDY_TESTS_CONFORMANCE_BACKEND_FIXTURE_H_
#define EDDY_TESTS_CONFORMANCE_BACKEND_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "eddy/backends.h"
#include "eddy/event_loop.h"

namespace eddy::testing {

// The backends under test (names or paths), never empty.
std::vector<std::string> backend_names();
// A gtest-safe name for a parameter: "epoll", or the file stem of a path.
std::string backend_test_name(const std::string& param);

class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  LoopOptions options() const {
    LoopOptions o;
    o.backend = GetParam();
    return o;
  }
  std::unique_ptr<EventLoop> make_loop() const { return std::make_unique<EventLoop>(options()); }
};

}  // namespace eddy::testing

#define EDDY_INSTANTIATE_BACKEND_SUITE(Suite)                                      \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                        \
                           ::testing::ValuesIn(::eddy::testing::backend_names()), \
                           [](const ::testing::TestParamInfo<std::string>& info) { \
                             return ::eddy::testing::backend_test_name(info.param); \
                           })

#endif  // EDDY_TESTS_CONFORMANCE_BACKEND_FIXTURE_H_
