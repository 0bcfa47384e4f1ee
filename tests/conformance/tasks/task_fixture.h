// task_fixture.h -- helpers for the task-layer conformance tests.
//
// Coroutines in these tests are free functions taking their state as
// parameters (never capturing lambdas: a coroutine lambda's captures die with
// the lambda object, before the coroutine finishes).
//
// Thread-safety: test code.
#ifndef EDDY_TESTS_CONFORMANCE_TASKS_TASK_FIXTURE_H_
#define EDDY_TESTS_CONFORMANCE_TASKS_TASK_FIXTURE_H_

#include <chrono>
#include <string>
#include <vector>

#include "../backend_fixture.h"
#include "eddy/eddy.hpp"

namespace eddy::testing {

class TaskTest : public BackendTest {
 protected:
  RunOptions run_options() const {
    RunOptions o;
    static_cast<LoopOptions&>(o) = options();
    return o;
  }
  template <class T>
  T run_coro(Coro<T> c) {
    return eddy::run(std::move(c), run_options());
  }
};

// Lets every task that is ready run (a few loop iterations).
inline Coro<> settle() {
  auto zero = std::chrono::milliseconds(0);
  for (int i = 0; i < 5; ++i) co_await sleep(zero);
}

}  // namespace eddy::testing

#define EDDY_INSTANTIATE_TASK_SUITE(Suite) EDDY_INSTANTIATE_BACKEND_SUITE(Suite)

#endif  // EDDY_TESTS_CONFORMANCE_TASKS_TASK_FIXTURE_H_
