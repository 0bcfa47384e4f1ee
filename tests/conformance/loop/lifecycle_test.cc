// Life cycle: stop, run_forever, close, and the hand-back contract of
// caller-owned records (each is handed back exactly once).
#include <chrono>
#include <string>
#include <vector>

#include "../backend_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class LifecycleTest : public testing::BackendTest {};

TEST_P(LifecycleTest, StopInsideACallbackEndsRunForever) {
  auto loop = make_loop();
  int after = 0;
  loop->call_soon([&] { loop->stop(); });
  loop->call_soon([&] { ++after; });  // same iteration: still runs, as asyncio
  loop->call_later(1s, [&] { ADD_FAILURE() << "run_forever did not stop"; });
  loop->run_forever();
  EXPECT_EQ(after, 1);
  EXPECT_FALSE(loop->is_running());
}

TEST_P(LifecycleTest, StopBeforeRunForeverRunsExactlyOneIteration) {
  auto loop = make_loop();
  int first = 0, second = 0;
  loop->call_soon([&] {
    ++first;
    loop->call_soon([&] { ++second; });
  });
  loop->stop();
  loop->run_forever();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 0);
  // A stopped loop runs again.
  loop->call_soon([&] { loop->stop(); });
  loop->run_forever();
  EXPECT_EQ(second, 1);
}

TEST_P(LifecycleTest, NestedRunForeverIsARuntimeError) {
  auto loop = make_loop();
  std::string error;
  loop->call_soon([&] {
    EXPECT_TRUE(loop->is_running());
    try {
      loop->run_forever();
    } catch (const RuntimeError& e) {
      error = e.what();
    }
    loop->stop();
  });
  loop->run_forever();
  EXPECT_THAT(error, HasSubstr("already running"));
}

TEST_P(LifecycleTest, RawRunOnceInsideACallbackIsRefused) {
  auto loop = make_loop();
  int32_t rc = 0;
  loop->call_soon([&] { rc = loop->vtable()->run_once(loop->abi_loop(), 0); });
  loop->run_once(0ns);
  EXPECT_EQ(rc, EDDY_ERR_RUNNING);
}

TEST_P(LifecycleTest, AClosedLoopRefusesEverything) {
  auto loop = make_loop();
  loop->close();
  EXPECT_TRUE(loop->is_closed());
  loop->close();  // idempotent
  auto expect_closed = [](auto&& fn) {
    try {
      fn();
      ADD_FAILURE() << "no exception";
    } catch (const RuntimeError& e) {
      EXPECT_THAT(std::string(e.what()), HasSubstr("Event loop is closed"));
    }
  };
  expect_closed([&] { loop->call_soon([] {}); });
  expect_closed([&] { loop->call_later(1ms, [] {}); });
  expect_closed([&] { loop->run_forever(); });
  expect_closed([&] { loop->run_once(); });
  expect_closed([&] { loop->call_soon_threadsafe([] {}); });
  expect_closed([&] { loop->call_at(loop->time_ns(), [] {}); });
  expect_closed([&] { loop->add_reader(0, [] {}); });
  expect_closed([&] { loop->add_writer(1, [] {}); });
  EXPECT_FALSE(loop->remove_reader(0));  // asyncio: False, no error
  EXPECT_GT(loop->time(), 0.0);          // the clock still reads
  // asyncio's stop() and set_debug() only set flags: no error when closed.
  EXPECT_NO_THROW(loop->stop());
  EXPECT_NO_THROW(loop->set_debug(true));
  eddy_handle h;
  eddy_handle_init(&h, [](eddy_handle*, int32_t) {});
  EXPECT_EQ(loop->vtable()->call_soon(loop->abi_loop(), &h), EDDY_ERR_CLOSED);
}

TEST_P(LifecycleTest, CloseWhileRunningIsARuntimeError) {
  auto loop = make_loop();
  std::string error;
  loop->call_soon([&] {
    try {
      loop->close();
    } catch (const RuntimeError& e) {
      error = e.what();
    }
    loop->stop();
  });
  loop->run_forever();
  EXPECT_THAT(error, HasSubstr("Cannot close a running event loop"));
  EXPECT_FALSE(loop->is_closed());
}

struct Record {
  eddy_timer timer;  // timer.handle also serves call_soon
  int ran = 0;
  int handed_back = 0;
};

void record_cb(eddy_handle* h, int32_t status) {
  auto* r = reinterpret_cast<Record*>(reinterpret_cast<char*>(h) - offsetof(eddy_timer, handle));
  if (status == 0) {
    ++r->ran;
  } else {
    EXPECT_EQ(status, EDDY_ERR_CANCELLED);
    ++r->handed_back;
  }
}

TEST_P(LifecycleTest, CloseHandsBackEveryQueuedRecordExactlyOnce) {
  auto loop = make_loop();
  const eddy_loop_vtable* vt = loop->vtable();
  eddy_loop* l = loop->abi_loop();
  std::vector<Record> soon(10), timers(10), threadsafe(10);
  for (auto& r : soon) {
    eddy_timer_init(&r.timer, &record_cb);
    ASSERT_EQ(vt->call_soon(l, &r.timer.handle), 0);
  }
  for (auto& r : timers) {
    eddy_timer_init(&r.timer, &record_cb);
    ASSERT_EQ(vt->call_at(l, &r.timer, vt->time(l) + 3'600'000'000'000), 0);
  }
  for (auto& r : threadsafe) {
    eddy_timer_init(&r.timer, &record_cb);
    ASSERT_EQ(vt->call_soon_threadsafe(l, &r.timer.handle), 0);
  }
  loop->close();
  for (auto* group : {&soon, &timers, &threadsafe}) {
    for (auto& r : *group) {
      EXPECT_EQ(r.ran, 0);
      EXPECT_EQ(r.handed_back, 1);
    }
  }
}

TEST_P(LifecycleTest, DoubleSchedulingIsBusyAndCancelReturnsOwnership) {
  auto loop = make_loop();
  const eddy_loop_vtable* vt = loop->vtable();
  eddy_loop* l = loop->abi_loop();
  Record r;
  eddy_timer_init(&r.timer, &record_cb);
  ASSERT_EQ(vt->call_soon(l, &r.timer.handle), 0);
  EXPECT_EQ(vt->call_soon(l, &r.timer.handle), EDDY_ERR_BUSY);
  EXPECT_EQ(vt->call_at(l, &r.timer, 0), EDDY_ERR_BUSY);
  EXPECT_EQ(vt->cancel(l, &r.timer.handle), 0);
  EXPECT_EQ(vt->cancel(l, &r.timer.handle), EDDY_ERR_NOT_QUEUED);
  // Reusable at once after cancel, as a timer this time.
  ASSERT_EQ(vt->call_at(l, &r.timer, vt->time(l)), 0);
  EXPECT_EQ(vt->call_soon(l, &r.timer.handle), EDDY_ERR_BUSY);
  while (r.ran == 0) vt->run_once(l, -1);
  EXPECT_EQ(r.ran, 1);
  EXPECT_EQ(r.handed_back, 0);
  EXPECT_EQ(vt->cancel(l, &r.timer.handle), EDDY_ERR_NOT_QUEUED);
}

TEST_P(LifecycleTest, AHandleMayRescheduleItselfFromItsOwnCallback) {
  auto loop = make_loop();
  struct Self {
    eddy_handle h;
    const eddy_loop_vtable* vt;
    eddy_loop* l;
    int runs = 0;
  } self{};
  self.vt = loop->vtable();
  self.l = loop->abi_loop();
  eddy_handle_init(&self.h, [](eddy_handle* h, int32_t status) {
    auto* s = reinterpret_cast<Self*>(h);
    if (status != 0) return;
    if (++s->runs < 3) {
      EXPECT_EQ(s->vt->call_soon(s->l, h), 0);
    }
  });
  ASSERT_EQ(self.vt->call_soon(self.l, &self.h), 0);
  for (int i = 0; i < 5; ++i) loop->run_once(0ns);
  EXPECT_EQ(self.runs, 3);
}

TEST_P(LifecycleTest, DestroyingALoopWithPendingCallbacksFreesThem) {
  // Run under ASan: the captured state of every pending lambda is released.
  auto owned = std::make_shared<int>(0);
  {
    auto loop = make_loop();
    for (int i = 0; i < 100; ++i) loop->call_soon([owned] { ++*owned; });
    for (int i = 0; i < 100; ++i) loop->call_later(1h, [owned] { ++*owned; });
    EXPECT_EQ(owned.use_count(), 201);
  }
  EXPECT_EQ(owned.use_count(), 1);
  EXPECT_EQ(*owned, 0);
}

TEST_P(LifecycleTest, TimeIsMonotonicSeconds) {
  auto loop = make_loop();
  double a = loop->time();
  int64_t b = loop->time_ns();
  EXPECT_GT(a, 0.0);
  EXPECT_GE(static_cast<double>(b) * 1e-9, a);
  EXPECT_EQ(loop->backend_info().name, loop->backend());
}

EDDY_INSTANTIATE_BACKEND_SUITE(LifecycleTest);

}  // namespace
}  // namespace eddy
