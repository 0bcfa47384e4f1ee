// soak_workload.cc -- the soak's echo server and its six kinds of client.
#include "soak_workload.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <random>
#include <string_view>
#include <thread>
#include <variant>

#include "eddy/eddy.hpp"
#include "message_pattern.h"

namespace eddy::soak {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kHost = "127.0.0.1";
constexpr size_t kMaxErrors = 10;

void note(std::vector<std::string>* errors, std::string what) {
  if (errors->size() < kMaxErrors) errors->push_back(std::move(what));
}

// ---- The server (its own thread and loop) ----

struct ServerState {
  uint64_t accepted = 0;
  uint64_t bytes = 0;
  uint64_t timed_reads = 0;
  uint64_t resets = 0;
  uint64_t errors = 0;
  uint64_t left_open = 0;
  std::vector<std::string> notes;
  Event stop;
  std::promise<int> port;
  bool port_set = false;
};

void report_port(ServerState* s, int port) {
  if (s->port_set) return;
  s->port_set = true;
  s->port.set_value(port);
}

Coro<> serve(StreamReader r, StreamWriter w, ServerState* s) {
  ++s->accepted;
  const auto limit = 30s;  // a timer armed and cancelled by every read
  try {
    for (;;) {
      std::string data = co_await wait_for(r.read(65536), limit);
      ++s->timed_reads;
      if (data.empty()) break;  // the client's half-close: echo done
      s->bytes += data.size();
      w.write(data);
      co_await w.drain();
    }
  } catch (const ConnectionError&) {
    ++s->resets;  // the reset kind's deliberate reset
  } catch (const std::exception& e) {
    ++s->errors;
    note(&s->notes, std::string("server: ") + e.what());
  }
  w.close();
}

Coro<int> server_main(ServerState* s, int control_fd) {
  ServerOptions options;
  options.backlog = 1024;
  auto cb = [s](StreamReader r, StreamWriter w) { return serve(r, w, s); };
  const uint16_t any_port = 0;
  Server server = co_await start_server(cb, kHost, any_port, options);
  report_port(s, server.sockets().at(0).port());
  EventLoop& loop = get_running_loop();
  loop.add_reader(control_fd, [s] { s->stop.set(); });  // the pipe's EOF: stop
  co_await s->stop.wait();
  loop.remove_reader(control_fd);
  server.close();
  const auto grace = 10s;
  try {
    co_await wait_for(server.wait_closed(), grace);
  } catch (const TimeoutError&) {
  }
  s->left_open = server.active_connections();
  co_return 0;
}

// ---- The clients (the calling thread's loop) ----

struct Clients {
  SoakResult* r = nullptr;
  uint16_t port = 0;
  Clock::time_point deadline;
  uint32_t next_id = 0;
};

std::string message(uint32_t id, uint64_t seq, size_t n) {
  std::string m(n, '\0');
  echo::fill_message(id, seq, m.data(), n);
  return m;
}

// Compares what came back with what was sent, and counts.
bool check(Clients* c, uint32_t id, std::string_view sent, std::string_view got) {
  if (got == sent) {
    c->r->bytes_checked += got.size();
    return true;
  }
  size_t n = std::min(sent.size(), got.size());
  size_t at = static_cast<size_t>(std::mismatch(sent.begin(), sent.begin() + n, got.begin()).first -
                                  sent.begin());
  c->r->bytes_checked += at;
  if (at < n || got.size() > sent.size()) {
    ++c->r->corrupt;
    note(&c->r->errors, "connection " + std::to_string(id) + ": byte " + std::to_string(at) +
                            " of " + std::to_string(sent.size()) + " is wrong (" +
                            std::to_string(got.size()) + " came back)");
  } else {
    note(&c->r->errors, "connection " + std::to_string(id) + ": " + std::to_string(got.size()) +
                            " of " + std::to_string(sent.size()) + " bytes came back");
  }
  return false;
}

// The half-close every kind but reset ends with: the server sees EOF and
// closes, and nothing more may come.
Coro<bool> finish(Clients* c, uint32_t id, StreamReader r, StreamWriter w) {
  w.write_eof();
  std::string rest = co_await r.read();
  co_return check(c, id, "", rest);
}

// Sends one message of `size` bytes and checks that it comes back whole.
Coro<bool> round_trip(Clients* c, uint32_t id, StreamReader& r, StreamWriter& w, uint64_t seq,
                      size_t size) {
  std::string m = message(id, seq, size);
  w.write(m);
  c->r->bytes_sent += m.size();
  co_await w.drain();
  std::string back = co_await r.readexactly(static_cast<int64_t>(m.size()));
  co_return check(c, id, m, back);
}

Coro<bool> churn(Clients* c, uint32_t id, StreamReader r, StreamWriter w, std::mt19937_64& rng) {
  // g++ 12 miscompiles a co_await inside an if condition (SIGILL): bind it first.
  bool ok = co_await round_trip(c, id, r, w, 0, 1 + rng() % 512);
  if (!ok) co_return false;
  co_return co_await finish(c, id, r, w);
}

Coro<bool> echo(Clients* c, uint32_t id, StreamReader r, StreamWriter w, std::mt19937_64& rng) {
  int count = 1 + static_cast<int>(rng() % 8);
  for (int seq = 0; seq < count; ++seq) {
    bool ok = co_await round_trip(c, id, r, w, static_cast<uint64_t>(seq), 1 + rng() % 65536);
    if (!ok) co_return false;
  }
  co_return co_await finish(c, id, r, w);
}

Coro<bool> half_close(Clients* c, uint32_t id, StreamReader r, StreamWriter w,
                      std::mt19937_64& rng) {
  std::string m = message(id, 0, 1 + rng() % (512 * 1024));
  w.write(m);
  c->r->bytes_sent += m.size();
  w.write_eof();  // at once: the server echoes after the client stopped writing
  std::string back = co_await r.read();
  co_return check(c, id, m, back);
}

Coro<bool> reset(Clients* c, uint32_t id, StreamReader r, StreamWriter w, std::mt19937_64& rng) {
  std::string m = message(id, 0, 1024 * 1024);
  w.write(m);
  size_t part = 4096 + rng() % 65536;
  c->r->bytes_sent += part;  // only this part has to come back
  std::string back = co_await r.readexactly(static_cast<int64_t>(part));
  if (!check(c, id, std::string_view(m).substr(0, part), back)) co_return false;
  // A reset, not a FIN: the server is still writing the rest.
  ExtraInfo sock = w.get_extra_info("socket");
  if (const int* fd = std::get_if<int>(&sock)) {
    linger l{1, 0};
    ::setsockopt(*fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  w.transport()->abort();
  co_return true;
}

Coro<> write_all(StreamWriter w, std::string m) {
  for (size_t at = 0; at < m.size(); at += 16384) {
    w.write(std::string_view(m).substr(at, 16384));
    co_await w.drain();
  }
}

Coro<bool> slow(Clients* c, uint32_t id, StreamReader r, StreamWriter w) {
  std::string m = message(id, 0, 512 * 1024);
  c->r->bytes_sent += m.size();
  Task<> writer = create_task(write_all(w, m));
  std::string back;
  const auto pause = 1ms;
  while (back.size() < m.size()) {
    std::string part = co_await r.read(8192);
    if (part.empty()) break;
    back += part;
    co_await sleep(pause);
  }
  co_await writer;
  if (!check(c, id, m, back)) co_return false;
  co_return co_await finish(c, id, r, w);
}

Coro<> nap(std::chrono::milliseconds d) { co_await sleep(d); }

// Lets `task` start waiting, cancels it; true if it ended cancelled.
template <class T>
Coro<bool> cancel_soon(Task<T> task) {
  const auto a_moment = 1ms;
  co_await sleep(a_moment);
  task.cancel();
  try {
    co_await task;
  } catch (const CancelledError&) {
    co_return true;
  }
  co_return false;
}

Coro<bool> cancel(Clients* c, uint32_t id, StreamReader r, StreamWriter w, std::mt19937_64& rng) {
  // A read cancelled by its timeout: nothing was sent, nothing comes.
  const auto short_wait = 2ms;
  bool timed_out = false;
  try {
    co_await wait_for(r.read(100), short_wait);
  } catch (const TimeoutError&) {
    timed_out = true;
  }
  // A read cancelled while it waits, and a timer cancelled before it fires.
  const auto long_nap = std::chrono::milliseconds(10000);
  bool read_cancelled = co_await cancel_soon(create_task(r.read(100)));
  bool nap_cancelled = co_await cancel_soon(create_task(nap(long_nap)));
  c->r->cancellations += timed_out + read_cancelled + nap_cancelled;
  if (!timed_out || !read_cancelled || !nap_cancelled) {
    note(&c->r->errors, "connection " + std::to_string(id) + ": a cancellation did not happen");
    co_return false;
  }
  // The stream still works.
  co_return co_await churn(c, id, r, w, rng);
}

Coro<bool> run_kind(int kind, Clients* c, uint32_t id, StreamReader r, StreamWriter w,
                    std::mt19937_64& rng) {
  switch (kind) {
    case kChurn:
      co_return co_await churn(c, id, r, w, rng);
    case kEcho:
      co_return co_await echo(c, id, r, w, rng);
    case kHalfClose:
      co_return co_await half_close(c, id, r, w, rng);
    case kReset:
      co_return co_await reset(c, id, r, w, rng);
    case kSlow:
      co_return co_await slow(c, id, r, w);
    default:
      co_return co_await cancel(c, id, r, w, rng);
  }
}

Coro<> worker(Clients* c, int kind, uint64_t seed) {
  std::mt19937_64 rng(seed);
  while (Clock::now() < c->deadline) {
    uint32_t id = c->next_id++;
    StreamReader r;
    StreamWriter w;
    bool connected = false;
    try {
      auto made = co_await open_connection(kHost, c->port);
      r = made.first;
      w = made.second;
      connected = true;
    } catch (const std::exception& e) {
      ++c->r->client_errors;
      note(&c->r->errors, std::string("connect: ") + e.what());
    }
    if (!connected) {
      const auto back_off = 10ms;
      co_await sleep(back_off);
      continue;
    }
    ++c->r->connections;
    bool ok = false;
    try {
      ok = co_await run_kind(kind, c, id, r, w, rng);
    } catch (const std::exception& e) {
      note(&c->r->errors,
           std::string(kind_name(kind)) + " connection " + std::to_string(id) + ": " + e.what());
    }
    if (ok) {
      ++c->r->per_kind[kind];
    } else {
      ++c->r->client_errors;
    }
    w.close();
    try {
      co_await w.wait_closed();
    } catch (const ConnectionError&) {
      // After the reset kind's abort, or a server that reset first.
    }
  }
}

Coro<> warm_up(std::chrono::milliseconds after, std::function<void()> on_warm) {
  co_await sleep(after);
  if (on_warm) on_warm();
}

Coro<int> clients_main(Clients* c, const SoakConfig& config) {
  int workers = config.workers;
  std::vector<Task<>> tasks;
  tasks.push_back(create_task(warm_up(config.duration / 5, config.on_warm)));
  for (int i = 0; i < workers; ++i) {
    // Half the workers churn; the others take the other kinds in turn.
    int kind = i < workers / 2 ? kChurn : 1 + i % (kKinds - 1);
    tasks.push_back(create_task(worker(c, kind, 0x50a4 + static_cast<uint64_t>(i))));
  }
  for (auto& t : tasks) co_await t;
  co_return 0;
}

}  // namespace

const char* kind_name(int kind) {
  static const char* const kNames[kKinds] = {"churn", "echo", "half-close",
                                             "reset", "slow", "cancel"};
  return kind >= 0 && kind < kKinds ? kNames[kind] : "?";
}

SoakResult run_soak(const SoakConfig& config) {
  SoakResult res;
  RunOptions options;
  options.backend = config.backend;
  options.handle_sigint = false;
  int control[2];
  if (::pipe2(control, O_CLOEXEC) != 0) {
    res.errors.push_back("pipe2 failed");
    ++res.client_errors;
    return res;
  }
  auto start = Clock::now();
  ServerState ss;
  std::future<int> port = ss.port.get_future();
  std::thread server([&] {
    try {
      eddy::run(server_main(&ss, control[0]), options);
    } catch (const std::exception& e) {
      ++ss.errors;
      note(&ss.notes, std::string("server loop: ") + e.what());
    }
    report_port(&ss, -1);
  });
  int p = port.get();
  if (p > 0) {
    Clients c;
    c.r = &res;
    c.port = static_cast<uint16_t>(p);
    c.deadline = start + config.duration;
    try {
      eddy::run(clients_main(&c, config), options);
    } catch (const std::exception& e) {
      ++res.client_errors;
      note(&res.errors, std::string("client loop: ") + e.what());
    }
  }
  ::close(control[1]);  // the server's signal to stop
  server.join();
  ::close(control[0]);
  res.accepted = ss.accepted;
  res.server_bytes = ss.bytes;
  res.server_timed_reads = ss.timed_reads;
  res.server_resets = ss.resets;
  res.server_errors = ss.errors;
  res.server_left_open = ss.left_open;
  for (std::string& n : ss.notes) note(&res.errors, std::move(n));
  res.lost_bytes = res.bytes_sent - res.bytes_checked;
  res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return res;
}

}  // namespace eddy::soak
