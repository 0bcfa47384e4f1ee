// echo_load.cc -- eddy-echo-load, the load generator of eddy-bench's TCP
// echo workloads.
//
//   eddy-echo-load --port 40123 --connections 100 --size 1024
//                  --warmup 0.25 --duration 1 --server-pid 4242 --cpu 1
//                  [--engine epoll|uring] [--count-syscalls]
//
// A closed loop (load_client.h): N connections to 127.0.0.1:PORT, each with
// one message of S bytes in flight, every echoed byte checked. It pins
// itself to --cpu (sched_setaffinity), opens the connections, runs a
// warm-up whose figures are thrown away, then a measured window of
// --duration seconds. At the start and end of that window it samples the
// server's CPU time from /proc (proc_cpu.h), so it reports what one message
// costs the server, in user and in system time, next to the throughput and
// the round-trip latencies (p50, p90, p99, p99.9 from a log-linear
// histogram). --engine picks the client's engine (load_client.h); eddy-bench
// runs every server under both, as a cross-check. At the start of the
// window it also checks the server's connections from outside
// (server_socket_probe.h: how many have TCP_NODELAY). --count-syscalls
// counts the server's system calls by name over the window
// (syscall_counter.h); that slows the server a little, so eddy-bench does it
// in a round of its own.
//
// Output: one JSON object on one line on stdout. Exit status: 0, or 1 if
// any byte came back wrong or a connection broke (the "errors" count and
// "error" say what), 2 for a bad command line or when the connections
// cannot be made (then the JSON line has "ok": false and "error").
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "load_client.h"
#include "proc_cpu.h"
#include "server_socket_probe.h"
#include "syscall_counter.h"

namespace eddy::echo {
namespace {

struct LoadOptions {
  LoadConfig load;
  double warmup_s = 0.25;
  double duration_s = 1.0;
  pid_t server_pid = 0;  // 0: no server CPU figures
  int cpu = -1;          // -1: not pinned
  bool count_syscalls = false;
};

[[noreturn]] void usage() {
  std::fputs(
      "usage: eddy-echo-load --port N [--host ADDR] [--connections N] [--size BYTES]\n"
      "                      [--warmup SECONDS] [--duration SECONDS] [--server-pid PID]\n"
      "                      [--cpu N] [--engine epoll|uring] [--count-syscalls]\n",
      stderr);
  std::exit(2);
}

double number(const char* s) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (*s == '\0' || *end != '\0' || !std::isfinite(v) || v < 0) usage();
  return v;
}

LoadOptions parse(int argc, char** argv) {
  LoadOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--count-syscalls") {
      o.count_syscalls = true;
      continue;
    }
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (a == "--port") {
      o.load.port = static_cast<int>(number(v));
    } else if (a == "--host") {
      o.load.host = v;
    } else if (a == "--connections") {
      o.load.connections = static_cast<int>(number(v));
    } else if (a == "--size") {
      o.load.size = static_cast<size_t>(number(v));
    } else if (a == "--warmup") {
      o.warmup_s = number(v);
    } else if (a == "--duration") {
      o.duration_s = number(v);
    } else if (a == "--server-pid") {
      o.server_pid = static_cast<pid_t>(number(v));
    } else if (a == "--cpu") {
      o.cpu = static_cast<int>(number(v));
    } else if (a == "--engine") {
      std::string e = v;
      if (e != "epoll" && e != "uring") usage();
      o.load.engine = e == "uring" ? LoadEngine::kUring : LoadEngine::kEpoll;
    } else {
      usage();
    }
  }
  if (o.load.port <= 0 || o.load.port > 65535 || o.load.connections < 1 || o.load.size < 1 ||
      o.duration_s <= 0) {
    usage();
  }
  return o;
}

void pin_to(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    std::fprintf(stderr, "eddy-echo-load: cannot pin to CPU %d: %s\n", cpu, std::strerror(errno));
  }
}

void raise_fd_limit() {
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

double cpu_seconds_of_self() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

using Json = nlohmann::ordered_json;

// A number, or null when it is not finite (a split with no tick in it).
Json num(double v) { return std::isfinite(v) ? Json(v) : Json(); }

// One line on stdout; bytes that are not UTF-8 become U+FFFD.
void print_line(const Json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
  std::fflush(stdout);
}

int load_main(int argc, char** argv) {
  LoadOptions o = parse(argc, argv);
  pin_to(o.cpu);
  raise_fd_limit();
  LoadClient client(o.load);
  std::string error;
  if (!client.start(&error)) {
    print_line({{"ok", false}, {"error", error}});
    return 2;
  }
  client.run_until(monotonic_ns() + static_cast<int64_t>(o.warmup_s * 1e9));

  client.reset_window();
  ServerSockets sockets;
  sockets.error = "no --server-pid";
  if (o.server_pid) sockets = probe_server_sockets(o.server_pid, o.load.port);
  SyscallCounter counter;
  std::string syscalls_error;
  bool counting = o.count_syscalls;
  if (counting && !o.server_pid) {
    counting = false;
    syscalls_error = "--count-syscalls needs --server-pid";
  } else if (counting && !counter.open(o.server_pid, &syscalls_error)) {
    counting = false;
  }
  if (counting) counter.enable();
  CpuSample server0 = o.server_pid ? sample_process_cpu(o.server_pid) : CpuSample{};
  double self0 = cpu_seconds_of_self();
  int64_t t0 = monotonic_ns();
  client.run_until(t0 + static_cast<int64_t>(o.duration_s * 1e9));
  int64_t t1 = monotonic_ns();
  double self1 = cpu_seconds_of_self();
  CpuSample server1 = o.server_pid ? sample_process_cpu(o.server_pid) : CpuSample{};
  if (counting) counter.disable();

  double wall = static_cast<double>(t1 - t0) * 1e-9;
  uint64_t messages = client.completed();
  double per_msg_us = messages ? 1e6 / static_cast<double>(messages) : std::nan("");
  CpuUsage server = cpu_between(server0, server1);
  uint64_t errors = client.errors();
  std::string first_error = client.first_error();
  if (o.server_pid && !server.ok) {
    ++errors;
    if (first_error.empty())
      first_error = "the server (pid " + std::to_string(o.server_pid) + ") is gone";
  }
  if (messages == 0 && errors == 0) {
    ++errors;
    first_error = "no message came back in the measured window";
  }
  const LatencyHistogram& h = client.latencies();
  const double nan = std::nan("");
  const bool uring = o.load.engine == LoadEngine::kUring;
  Json line;
  line["ok"] = errors == 0;
  line["connections"] = o.load.connections;
  line["size"] = o.load.size;
  line["warmup_s"] = num(o.warmup_s);
  line["duration_s"] = num(wall);
  line["messages"] = messages;
  line["msgs_per_s"] = num(static_cast<double>(messages) / wall);
  line["mib_per_s"] =
      num(static_cast<double>(messages) * static_cast<double>(o.load.size) / wall / 1048576.0);
  line["lat_mean_us"] = num(h.mean() * 1e-3);
  line["lat_p50_us"] = num(h.percentile(0.50) * 1e-3);
  line["lat_p90_us"] = num(h.percentile(0.90) * 1e-3);
  line["lat_p99_us"] = num(h.percentile(0.99) * 1e-3);
  line["lat_p999_us"] = num(h.percentile(0.999) * 1e-3);
  line["lat_max_us"] = num(static_cast<double>(h.max()) * 1e-3);
  line["server_pid"] = static_cast<int>(o.server_pid);
  line["server_cpu_s"] = num(server.ok ? server.total_s : nan);
  line["server_user_s"] = num(server.ok ? server.user_s : nan);
  line["server_sys_s"] = num(server.ok ? server.system_s : nan);
  line["server_cpu_exact"] = server.exact_total;
  line["server_util"] = num(server.ok ? server.total_s / wall : nan);
  line["cpu_user_us_per_msg"] = num(server.ok ? server.user_s * per_msg_us : nan);
  line["cpu_sys_us_per_msg"] = num(server.ok ? server.system_s * per_msg_us : nan);
  line["cpu_total_us_per_msg"] = num(server.ok ? server.total_s * per_msg_us : nan);
  line["client_util"] = num((self1 - self0) / wall);
  line["open_connections"] = client.open_connections();
  line["errors"] = errors;
  line["error"] = first_error;
  line["engine"] = uring ? "uring" : "epoll";
  line["uring_setup"] = uring ? Json(client.uring_setup()) : Json();
  line["messages_total"] = client.completed_total();
  line["client_nodelay"] = client.all_nodelay();
  line["server_tcp_connections"] = sockets.ok ? Json(sockets.connections) : Json();
  line["server_nodelay_connections"] = sockets.ok ? Json(sockets.nodelay) : Json();
  line["server_socket_probe_error"] = sockets.ok ? "" : sockets.error;
  if (o.count_syscalls) {
    line["syscalls"] = counting ? syscall_counts_json(counter.counts()) : Json();
    line["syscalls_error"] = counting ? "" : syscalls_error;
  }
  print_line(line);
  return errors ? 1 : 0;
}

}  // namespace
}  // namespace eddy::echo

int main(int argc, char** argv) { return eddy::echo::load_main(argc, argv); }
