// echo_table.cc -- lays out the TCP echo table.
#include "echo_table.h"

#include <algorithm>
#include <cmath>

#include "text.h"

namespace eddy::bench_tool {
namespace {

std::string spread_text(const Summary& s) {
  if (s.count < 2 || s.median <= 0) return "";
  double dev = std::max(s.max - s.median, s.median - s.min) / s.median;
  char buf[32];
  std::snprintf(buf, sizeof buf, " ±%.0f%%", dev * 100);
  return buf;
}

std::string us_text(const Summary& s) {
  if (s.count == 0) return "-";
  return format_duration(s.median * 1000);
}

std::string cpu_text(const Summary& s) {
  if (s.count == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", s.median);
  return buf;
}

std::string ratio_text(double r) {
  if (r <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f×", r);
  return buf;
}

// The cross-check cell: the ratio of the two load generators' CPU/msg,
// marked when they disagree.
std::string cross_text(const EchoRow& r) {
  if (r.cross_ratio <= 0) return "-";
  return ratio_text(r.cross_ratio) + (r.disagrees ? " ≠" : "");
}

std::string calls_text(const EchoRow& r) {
  if (r.syscalls_per_msg <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", r.syscalls_per_msg);
  return buf;
}

// "2.02: recvfrom 1.00, sendto 1.00, epoll_wait 0.02": the calls of at
// least 0.01 per message, largest first.
std::string breakdown_text(const EchoRow& r) {
  std::string text = calls_text(r) + ":";
  bool first = true;
  for (const auto& [name, per_msg] : r.syscalls_by_name) {
    if (per_msg < 0.005) break;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s %s %.2f", first ? "" : ",", name.c_str(), per_msg);
    text += buf;
    first = false;
  }
  return text;
}

// Columns padded to their widest cell: the first left-aligned, the others
// right-aligned unless right_align is false.
void print_lines(std::FILE* out, const std::vector<std::vector<std::string>>& lines,
                 bool right_align = true) {
  std::vector<size_t> widths;
  for (const auto& line : lines) {
    widths.resize(std::max(widths.size(), line.size()), 0);
    for (size_t i = 0; i < line.size(); ++i)
      widths[i] = std::max(widths[i], display_width(line[i]));
  }
  for (const auto& line : lines) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      text += i == 0 || !right_align ? pad_right(line[i], widths[i]) : pad_left(line[i], widths[i]);
      if (i + 1 < line.size()) text += "  ";
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    std::fprintf(out, "%s\n", text.c_str());
  }
}

}  // namespace

std::string rate_text(double v) {
  const char* unit = "";
  if (v >= 999.5e3) {
    v /= 1e6;
    unit = " M";
  } else if (v >= 999.5) {
    v /= 1e3;
    unit = " k";
  }
  char buf[32];
  const char* fmt = v < 9.995 ? "%.2f%s" : v < 99.95 ? "%.1f%s" : "%.0f%s";
  std::snprintf(buf, sizeof buf, fmt, v, unit);
  return buf;
}

void print_echo_table(std::FILE* out, const std::vector<EchoRow>& rows, const Options& o) {
  if (rows.empty()) return;
  std::fprintf(out,
               "\nTCP echo: closed loop, one message in flight per connection, every byte "
               "checked;\nserver on CPU %d, load generator on CPU %d; %g s measured after a %g s "
               "warm-up, %d round%s.\n",
               o.server_cpu, o.load_cpu, o.duration_s, o.warmup_s, o.repetitions,
               o.repetitions == 1 ? "" : "s");
  size_t i = 0;
  double busiest_client = 0;
  while (i < rows.size()) {
    const EchoInstance& head = rows[i].instance;
    std::vector<std::vector<std::string>> lines;
    lines.push_back({size_text(head.size) + " × " + std::to_string(head.connections) + " conn",
                     "msgs/s", "p50", "p99", "user", "sys", "CPU/msg", "msgs/s vs C", "CPU vs C",
                     "calls/msg", "2nd load"});
    for (; i < rows.size() && rows[i].instance.size == head.size &&
           rows[i].instance.connections == head.connections;
         ++i) {
      const EchoRow& r = rows[i];
      std::string rate = r.skipped() ? "skipped"
                         : r.msgs_per_s.count == 0
                             ? (r.error() ? "ERROR" : "-")
                             : rate_text(r.msgs_per_s.median) + spread_text(r.msgs_per_s) +
                                   (r.error() ? " ERROR" : "");
      lines.push_back({r.instance.server.label, rate, us_text(r.p50_us), us_text(r.p99_us),
                       cpu_text(r.cpu_user_us), cpu_text(r.cpu_sys_us), cpu_text(r.cpu_total_us),
                       ratio_text(r.throughput_vs_c), ratio_text(r.cpu_vs_c), calls_text(r),
                       cross_text(r)});
      if (r.client_util.count > 0) busiest_client = std::max(busiest_client, r.client_util.median);
    }
    std::fprintf(out, "\n");
    print_lines(out, lines);
  }
  std::fprintf(out,
               "\nmsgs/s: round trips per second (median, ±N%%: every round within N%% of it);\n"
               "p50/p99: round-trip latency; user/sys/CPU/msg: the server's CPU time per message\n"
               "in µs, from /proc; vs C: msgs/s over the fastest raw C server's (ref_epoll,\n"
               "ref_uv, ref_event), CPU/msg over the leanest one's.\n");
  std::fprintf(out,
               "calls/msg: the server's system calls per message, counted in a separate round\n"
               "(below, by name); 2nd load: its CPU/msg under eddy-echo-load's epoll engine over\n"
               "the same under its io_uring engine (≠: beyond ±%g%%).\n",
               o.tolerance_pct);
  bool any_counts = false;
  for (const EchoRow& r : rows) any_counts = any_counts || r.syscalls_per_msg > 0;
  if (any_counts) {
    std::fprintf(out, "\nSystem calls per message (counting round):\n");
    std::vector<std::vector<std::string>> lines;
    for (const EchoRow& r : rows) {
      if (r.syscalls_per_msg <= 0) continue;
      lines.push_back({"  " + r.instance.server.label + ", " + size_text(r.instance.size) + " × " +
                           std::to_string(r.instance.connections),
                       breakdown_text(r)});
    }
    print_lines(out, lines, /*right_align=*/false);
  }
  std::vector<std::string> notes;
  for (const EchoRow& r : rows) {
    if (!r.syscalls_note.empty() &&
        std::find(notes.begin(), notes.end(), r.syscalls_note) == notes.end()) {
      notes.push_back(r.syscalls_note);
    }
  }
  for (const std::string& n : notes) std::fprintf(out, "syscalls not counted: %s\n", n.c_str());
  for (const EchoRow& r : rows) {
    if (!r.disagrees) continue;
    std::fprintf(out,
                 "cross-check: %s: %.2f µs/msg under the epoll load generator, %.2f under the "
                 "io_uring one (%.2f×): the figure depends on the load generator\n",
                 r.instance.name.c_str(), r.cpu_total_us.median, r.cross_cpu_total_us.median,
                 r.cross_ratio);
  }
  for (const EchoRow& r : rows) {
    if (r.feed_note.empty()) continue;
    std::fprintf(out, "not fed as the others: %s: %s\n", r.instance.name.c_str(),
                 r.feed_note.c_str());
  }
  if (busiest_client > 0.9) {
    std::fprintf(out,
                 "The load generator kept its CPU %.0f%% busy: the fastest servers' msgs/s is "
                 "bounded by it,\nso compare them by CPU/msg.\n",
                 busiest_client * 100);
  }
  for (const EchoRow& r : rows) {
    const std::pair<const EchoResult*, const char*> parts[] = {
        {r.result, ""}, {r.cross, " (cross-check)"}, {r.counted, " (syscall count)"}};
    for (const auto& [result, what] : parts) {
      if (result == nullptr || result->error_rounds == 0) continue;
      std::fprintf(out, "error: %s%s: %s\n", r.instance.name.c_str(), what, result->error.c_str());
    }
  }
  std::fflush(out);
}

}  // namespace eddy::bench_tool
