// echo_plan.cc -- selection, availability and settings of the echo runs.
#include "echo_plan.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace eddy::bench_tool {
namespace {

std::string join(const std::vector<std::string>& v) { return absl::StrJoin(v, ", "); }

std::string format_pct(double pct) { return absl::StrFormat("%g%%", pct); }

// The name a skipped note goes under: eddy's modes are skipped per mode
// (every backend alike), the references per server.
std::string note_name(const EchoServer& s) {
  return s.kind == EchoKind::kEddy ? "eddy " + s.mode : s.server;
}

void add_note(std::vector<Skipped>* notes, const std::string& name, const std::string& reason) {
  for (const Skipped& k : *notes) {
    if (k.name == name) return;
  }
  notes->push_back({name, reason});
}

}  // namespace

bool plan_echo(const Options& o, const std::vector<std::string>& eddy_backends, int cores,
               bool regex_given, const std::regex& re, EchoPlan* plan, std::string* error) {
  const std::vector<std::string>& known = echo_reference_names();
  for (const std::string& r : o.references) {
    if (r != "none" && std::find(known.begin(), known.end(), r) == known.end()) {
      *error = "unknown reference '" + r + "' in --references; known: " + join(known) + ", none";
      return false;
    }
  }
  plan->programs = locate_echo_programs(o);
  plan->servers = echo_servers(eddy_backends, o.references, plan->programs);
  plan->selected = select_echo(plan->servers, o, regex_given, re);
  EchoSettings& s = plan->settings;
  s.load_program = plan->programs.load;
  s.warmup_s = o.warmup_s;
  s.duration_s = o.duration_s;
  malloc_condition(o.malloc_mode, &s.malloc);  // options.cc accepts only known modes
  s.server_cpu = o.server_cpu < cores ? o.server_cpu : -1;
  s.load_cpu = o.load_cpu < cores ? o.load_cpu : -1;
  if (s.server_cpu < 0 || s.load_cpu < 0) {
    plan->cpu_note = "only " + std::to_string(cores) +
                     " CPU(s) online: " + (s.server_cpu < 0 ? "the server" : "the load generator") +
                     " runs unpinned";
  }
  if (plan->selected.empty()) return true;
  if (plan->programs.dir.empty()) {
    add_note(&plan->skipped, "echo",
             "eddy-echo-load not found (looked in " + plan->programs.searched +
                 "; build bench/echo or pass --echo-dir)");
    return true;
  }
  probe_echo_programs(&plan->programs);
  for (const EchoInstance& i : plan->selected) {
    std::string why = echo_unavailable(i.server, plan->programs);
    if (why.empty()) {
      plan->runs.push_back(i);
    } else {
      add_note(&plan->skipped, note_name(i.server), why);
    }
  }
  return true;
}

std::string echo_setup_line(const EchoPlan& plan, const Options& o) {
  if (plan.runs.empty()) return "";
  std::vector<std::string> sizes, conns;
  for (int n : o.sizes) sizes.push_back(size_text(n));
  for (int n : o.connections) conns.push_back(std::to_string(n));
  char window[96];
  std::snprintf(window, sizeof window, "%g s measured after %g s warm-up", o.duration_s,
                o.warmup_s);
  auto cpu = [](int c) { return c < 0 ? std::string("unpinned") : "CPU " + std::to_string(c); };
  std::string line = std::to_string(plan.runs.size()) + " runs per round; sizes " + join(sizes) +
                     "; connections " + join(conns) + "; " + window + "; server on " +
                     cpu(plan.settings.server_cpu) + ", load on " + cpu(plan.settings.load_cpu);
  if (!plan.cpu_note.empty()) line += " (" + plan.cpu_note + ")";
  line += "; programs in " + plan.programs.dir;
  // The lines below carry their own labels (print_setup indents none).
  line += "\n  malloc     " + plan.settings.malloc.description;
  std::string checks = o.cross_check == "off"
                           ? "no cross-check"
                           : "cross-check: every server also under eddy-echo-load --engine uring, "
                             "CPU/msg to agree within " +
                                 format_pct(o.tolerance_pct) +
                                 (o.cross_check == "strict" ? " (strict)" : "");
  checks += o.syscalls ? "; syscalls counted in a separate round" : "; syscalls not counted";
  return line + "\n  checks     " + checks;
}

void print_echo_list(std::FILE* out, const EchoPlan& plan, const Options& o) {
  std::fprintf(out,
               "echo workloads (key Echo/<mode>/<size>/<connections>, here for sizes and\n"
               "connections %s x %s; [slow]: not in the quick suite):\n",
               std::to_string(o.sizes.front()).c_str(),
               std::to_string(o.connections.front()).c_str());
  std::vector<std::string> modes;
  for (const EchoServer& s : plan.servers) {
    if (std::find(modes.begin(), modes.end(), s.mode) == modes.end()) modes.push_back(s.mode);
  }
  std::string tail = "/";  // appended: g++ 12 warns wrongly about "/" + ...
  tail += std::to_string(o.sizes.front());
  tail += "/";
  tail += std::to_string(o.connections.front());
  for (const std::string& mode : modes) {
    std::vector<std::string> servers;
    bool slow = false;
    for (const EchoServer& s : plan.servers) {
      if (s.mode != mode) continue;
      servers.push_back(s.server);
      slow = slow || !s.quick;
    }
    std::fprintf(out, "  %-24s on %s%s\n", ("Echo/" + mode + tail).c_str(), join(servers).c_str(),
                 slow ? " [slow]" : "");
  }
  if (plan.programs.dir.empty()) {
    std::fprintf(out, "  (eddy-echo-load not found: looked in %s)\n",
                 plan.programs.searched.c_str());
  }
}

}  // namespace eddy::bench_tool
