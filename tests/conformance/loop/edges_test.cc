// Edge cases where asyncio's behaviour is precise and easy to get wrong:
// what runs in the same iteration, cancelling or replacing something whose
// call is already pending, half-closed peers, and the raw ABI's refusals.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "../backend_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class EdgesTest : public testing::BackendTest {};

TEST_P(EdgesTest, CallLaterZeroRunsInTheSameIterationAsCallSoonButAfterIt) {
  auto loop = make_loop();
  std::vector<std::string> order;
  loop->call_later(0ms, [&] { order.push_back("later0"); });
  loop->call_soon([&] { order.push_back("soon"); });
  loop->run_once(0ns);
  EXPECT_EQ(order, (std::vector<std::string>{"soon", "later0"}));
}

TEST_P(EdgesTest, AHandleCancelledByAnEarlierCallbackOfTheSameIterationDoesNotRun) {
  auto loop = make_loop();
  int ran = 0;
  Handle second;
  loop->call_soon([&] { second.cancel(); });
  second = loop->call_soon([&] { ++ran; });
  loop->run_once(0ns);
  loop->run_once(0ns);
  EXPECT_EQ(ran, 0);
  EXPECT_TRUE(second.cancelled());
}

struct RawRec {
  eddy_handle h;
  int ran = 0;
  int handed_back = 0;
};

void raw_rec_cb(eddy_handle* h, int32_t status) {
  auto* r = reinterpret_cast<RawRec*>(h);
  (status == 0 ? r->ran : r->handed_back)++;
}

TEST_P(EdgesTest, RawCancelOfAHandleInTheRunningSnapshot) {
  auto loop = make_loop();
  const eddy_loop_vtable* vt = loop->vtable();
  eddy_loop* l = loop->abi_loop();
  struct Canceller {
    eddy_handle h;
    const eddy_loop_vtable* vt;
    eddy_loop* l;
    RawRec* victim;
    int32_t rc = 1;
  } c{};
  RawRec victim;
  eddy_handle_init(&victim.h, &raw_rec_cb);
  c.vt = vt;
  c.l = l;
  c.victim = &victim;
  eddy_handle_init(&c.h, [](eddy_handle* h, int32_t status) {
    auto* self = reinterpret_cast<Canceller*>(h);
    if (status == 0) self->rc = self->vt->cancel(self->l, &self->victim->h);
  });
  ASSERT_EQ(vt->call_soon(l, &c.h), 0);
  ASSERT_EQ(vt->call_soon(l, &victim.h), 0);
  ASSERT_EQ(vt->run_once(l, 0), 0);
  EXPECT_EQ(c.rc, 0);
  // Cancel hands the record back by itself: it is neither run nor handed
  // back again, now or at close.
  loop->close();
  EXPECT_EQ(victim.ran, 0);
  EXPECT_EQ(victim.handed_back, 0);
}

TEST_P(EdgesTest, ARecordMayBeFreedByItsOwnHandBackCallback) {
  // Under ASan: the loop must not touch a record after handing it back.
  auto loop = make_loop();
  const eddy_loop_vtable* vt = loop->vtable();
  eddy_loop* l = loop->abi_loop();
  int freed = 0;
  struct Owned {
    eddy_timer t;
    int* freed;
  };
  auto free_cb = [](eddy_handle* h, int32_t) {
    auto* o = reinterpret_cast<Owned*>(reinterpret_cast<char*>(h) - offsetof(eddy_timer, handle));
    ++*o->freed;
    delete o;
  };
  for (int i = 0; i < 3; ++i) {
    auto* soon = new Owned{{}, &freed};
    eddy_timer_init(&soon->t, free_cb);
    ASSERT_EQ(vt->call_soon(l, &soon->t.handle), 0);
    auto* timer = new Owned{{}, &freed};
    eddy_timer_init(&timer->t, free_cb);
    ASSERT_EQ(vt->call_at(l, &timer->t, vt->time(l) + 3'600'000'000'000), 0);
    auto* ts = new Owned{{}, &freed};
    eddy_timer_init(&ts->t, free_cb);
    ASSERT_EQ(vt->call_soon_threadsafe(l, &ts->t.handle), 0);
  }
  ASSERT_EQ(vt->run_once(l, 0), 0);  // runs (and frees) the six ready ones
  EXPECT_EQ(freed, 6);
  loop->close();  // hands back (and frees) the three timers
  EXPECT_EQ(freed, 9);
}

TEST_P(EdgesTest, RawRunForeverInsideACallbackIsRefused) {
  auto loop = make_loop();
  int32_t nested = 0, close_rc = 0;
  loop->call_soon([&] {
    nested = loop->vtable()->run_forever(loop->abi_loop());
    close_rc = loop->vtable()->close(loop->abi_loop());
    loop->stop();
  });
  loop->run_forever();
  EXPECT_EQ(nested, EDDY_ERR_RUNNING);
  EXPECT_EQ(close_rc, EDDY_ERR_CLOSE_RUNNING);
  EXPECT_FALSE(loop->is_closed());
}

TEST_P(EdgesTest, RunOnceInsideRunForeverIsARuntimeError) {
  auto loop = make_loop();
  std::string error;
  loop->call_soon([&] {
    try {
      loop->run_once(0ns);
    } catch (const RuntimeError& e) {
      error = e.what();
    }
    loop->stop();
  });
  loop->run_forever();
  EXPECT_THAT(error, ::testing::HasSubstr("already running"));
}

TEST_P(EdgesTest, RunForeverTwiceInARowWorks) {
  auto loop = make_loop();
  int runs = 0;
  for (int i = 0; i < 2; ++i) {
    loop->call_soon([&] {
      ++runs;
      loop->stop();
    });
    loop->run_forever();
    EXPECT_FALSE(loop->is_running());
  }
  EXPECT_EQ(runs, 2);
}

struct SocketPair {
  SocketPair() {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0);
  }
  ~SocketPair() {
    for (int f : fd) {
      if (f >= 0) close(f);
    }
  }
  int fd[2] = {-1, -1};
};

// Fills fd's send buffer until the kernel refuses more.
void fill(int fd) {
  static char chunk[65536];
  while (write(fd, chunk, sizeof chunk) > 0) {
  }
  while (write(fd, chunk, 1) > 0) {
  }
}

TEST_P(EdgesTest, ReplacingAReaderWhoseCallIsPendingDropsThatCall) {
  // asyncio's add_reader cancels the previous handle: a call already queued
  // for the old callback does not happen, and the new one waits for the next
  // poll.
  auto loop = make_loop();
  SocketPair a, b;
  int old_calls = 0, new_calls = 0, replaced = -1;
  auto replace_other = [&](int other) {
    ++old_calls;
    replaced = other;
    loop->add_reader(other, [&] { ++new_calls; });
  };
  loop->add_reader(a.fd[1], [&] { replace_other(b.fd[1]); });
  loop->add_reader(b.fd[1], [&] { replace_other(a.fd[1]); });
  ASSERT_EQ(write(a.fd[0], "x", 1), 1);
  ASSERT_EQ(write(b.fd[0], "x", 1), 1);
  // Both fds are ready from the start, so one poll reports both.
  loop->run_once(1s);
  EXPECT_EQ(old_calls, 1);
  EXPECT_EQ(new_calls, 0);
  // The replacement is live: alone on its fd now, it runs next time.
  loop->remove_reader(replaced == a.fd[1] ? b.fd[1] : a.fd[1]);
  loop->run_once(1s);
  EXPECT_EQ(new_calls, 1);
  loop->remove_reader(a.fd[1]);
  loop->remove_reader(b.fd[1]);
}

TEST_P(EdgesTest, AWriterIsNotWokenWhenThePeerOnlyShutsDownItsWriting) {
  // The peer's shutdown(SHUT_WR) makes our side readable (EOF), not
  // writable: a writer blocked on a full send buffer must not be called.
  auto loop = make_loop();
  SocketPair p;
  fill(p.fd[0]);
  int reads = 0, writes = 0;
  loop->add_writer(p.fd[0], [&] { ++writes; });
  loop->add_reader(p.fd[0], [&] {
    char c;
    if (read(p.fd[0], &c, 1) == 0) ++reads;
  });
  ASSERT_EQ(shutdown(p.fd[1], SHUT_WR), 0);
  for (int i = 0; i < 3; ++i) loop->run_once(50ms);
  EXPECT_GE(reads, 1);
  EXPECT_EQ(writes, 0);
  loop->remove_reader(p.fd[0]);
  loop->remove_writer(p.fd[0]);
}

TEST_P(EdgesTest, AWriterOnAPipeRunsWhenThereIsRoomAgain) {
  auto loop = make_loop();
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  fill(fds[1]);
  int writes = 0;
  loop->add_writer(fds[1], [&] {
    ++writes;
    loop->remove_writer(fds[1]);
  });
  loop->run_once(30ms);
  EXPECT_EQ(writes, 0) << "called while the pipe was full";
  static char sink[1 << 17];
  while (read(fds[0], sink, sizeof sink) > 0) {
  }
  for (int i = 0; i < 3 && writes == 0; ++i) loop->run_once(1s);
  EXPECT_EQ(writes, 1);
  close(fds[0]);
  close(fds[1]);
}

TEST_P(EdgesTest, AWriterSeesTheReaderOfItsPipeGo) {
  // EPIPE territory: asyncio's selectors wake the writer on an error
  // condition so the transport can notice. It must be called, not hang.
  auto loop = make_loop();
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  fill(fds[1]);
  int writes = 0;
  loop->add_writer(fds[1], [&] {
    ++writes;
    loop->remove_writer(fds[1]);
  });
  close(fds[0]);
  for (int i = 0; i < 3 && writes == 0; ++i) loop->run_once(1s);
  EXPECT_EQ(writes, 1);
  close(fds[1]);
}

EDDY_INSTANTIATE_BACKEND_SUITE(EdgesTest);

}  // namespace
}  // namespace eddy
