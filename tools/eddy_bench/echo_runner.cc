// echo_runner.cc -- starts, measures and stops one echo run.
#include "echo_runner.h"

#include <cmath>
#include <cstdio>

#include "process.h"
#include "run_json.h"

namespace eddy::bench_tool {
namespace {

constexpr int kSkippedStatus = 77;
constexpr double kListenTimeoutS = 20;  // Python with uvloop starts in ~0.1 s
constexpr double kStopGraceS = 2;

std::string with_stderr(const std::string& what, const Child& child) {
  std::string err = child.stderr_text(600);
  return err.empty() ? what : what + ": " + err;
}

void record_error(EchoResult* r, const std::string& what) {
  ++r->error_rounds;
  r->error = what;
}

// Starts the server and reads its port; false (with the result updated) if
// there is no server to measure.
bool start_server(const EchoInstance& instance, const EchoSettings& s, Child* server, int* port,
                  EchoResult* r) {
  std::vector<std::string> argv = instance.server.command;
  argv.push_back("--port");
  argv.push_back("0");
  std::string error;
  if (!server->start({argv, s.server_cpu, s.malloc.env_set, s.malloc.env_unset}, &error)) {
    record_error(r, "cannot start the server: " + error);
    return false;
  }
  std::string line;
  bool timed_out = false;
  while (server->read_line(kListenTimeoutS, &line, &timed_out)) {
    if (std::sscanf(line.c_str(), "PORT %d", port) == 1 && *port > 0) return true;
  }
  if (timed_out) {
    server->terminate(kStopGraceS);
    record_error(r, with_stderr("the server printed no PORT line within " +
                                    std::to_string(static_cast<int>(kListenTimeoutS)) + " s",
                                *server));
    return false;
  }
  server->wait(kStopGraceS);
  if (server->exit_status() == kSkippedStatus) {
    r->skipped = true;
    r->skip_reason = server->stderr_text(600);
    return false;
  }
  record_error(
      r, with_stderr("the server ended before listening (" + server->exit_text() + ")", *server));
  return false;
}

}  // namespace

double EchoRound::get(const std::string& key) const {
  auto it = values.find(key);
  return it == values.end() ? std::nan("") : it->second;
}

void run_echo(const EchoInstance& instance, const EchoSettings& s, EchoResult* r) {
  if (r->skipped) return;
  Child server;
  int port = 0;
  if (!start_server(instance, s, &server, &port, r)) return;

  Child load;
  std::vector<std::string> argv = {s.load_program,
                                   "--port",
                                   std::to_string(port),
                                   "--connections",
                                   std::to_string(instance.connections),
                                   "--size",
                                   std::to_string(instance.size),
                                   "--warmup",
                                   std::to_string(s.warmup_s),
                                   "--duration",
                                   std::to_string(s.duration_s),
                                   "--server-pid",
                                   std::to_string(server.pid()),
                                   "--cpu",
                                   std::to_string(s.load_cpu),
                                   "--engine",
                                   s.engine};
  if (s.count_syscalls) argv.push_back("--count-syscalls");
  std::string error;
  if (!load.start({argv, s.load_cpu}, &error)) {
    server.terminate(kStopGraceS);
    record_error(r, "cannot start eddy-echo-load: " + error);
    return;
  }
  // Connecting a thousand sockets, the warm-up and the window, with room.
  double timeout = s.warmup_s + s.duration_s + 30;
  std::string line, last;
  bool timed_out = false;
  while (load.read_line(timeout, &line, &timed_out)) {
    if (!line.empty()) last = line;
  }
  if (timed_out) load.terminate(kStopGraceS);
  load.wait(kStopGraceS);
  bool server_alive = !server.exited();
  server.terminate(kStopGraceS);

  absl::StatusOr<Json> parsed =
      timed_out || last.empty() ? absl::UnavailableError("no line") : parse_json(last);
  if (!parsed.ok() || !parsed->is_object()) {
    std::string what = timed_out ? "eddy-echo-load did not finish within " +
                                       std::to_string(static_cast<int>(timeout)) + " s"
                                 : "eddy-echo-load printed no result (" + load.exit_text() + ")";
    record_error(r, with_stderr(what, load));
    return;
  }
  const Json& doc = *parsed;
  r->echo_errors += number_at(doc, "/errors", 0);
  if (!bool_at(doc, "/ok") || load.exit_status() != 0) {
    std::string what = string_at(doc, "/error");
    if (what.empty()) what = "eddy-echo-load " + load.exit_text();
    double n = number_at(doc, "/errors", 0);
    if (n > 0) {
      char count[64];
      std::snprintf(count, sizeof count, "%.0f echo error%s; first: ", n, n == 1 ? "" : "s");
      what = count + what;
    }
    if (!server_alive) what += " (the server " + server.exit_text() + ")";
    record_error(r, with_stderr(what, server_alive ? load : server));
    return;
  }
  if (!server_alive) {
    record_error(
        r, with_stderr("the server ended during the run (" + server.exit_text() + ")", server));
    return;
  }
  if (json_at(doc, "/uring_setup").is_string()) r->uring_setup = string_at(doc, "/uring_setup");
  EchoRound round;
  for (const auto& [key, value] : doc.items()) {
    if (value.is_number()) round.values[key] = value.get<double>();
    if (value.is_boolean()) round.values[key] = value.get<bool>() ? 1 : 0;
  }
  if (s.count_syscalls) {
    for (const auto& [name, n] : object_at(doc, "/syscalls/by_name").items()) {
      round.syscalls.emplace_back(name, n.is_number() ? n.get<double>() : 0);
    }
    round.syscalls_error = string_at(doc, "/syscalls_error");
    if (!json_at(doc, "/syscalls").is_object() && round.syscalls_error.empty()) {
      round.syscalls_error = "eddy-echo-load reported no syscall counts";
    }
  }
  r->rounds.push_back(round);
}

}  // namespace eddy::bench_tool
