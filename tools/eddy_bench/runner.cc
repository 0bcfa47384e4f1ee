// runner.cc -- the rounds and the progress line.
#include "runner.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace eddy::bench_tool {
namespace {

std::string clock_text(double seconds) {
  int s = static_cast<int>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", s / 60, s % 60);
  return buf;
}

// On a terminal the line is redrawn in place; in a log, one line per run.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), tty_(isatty(STDERR_FILENO) == 1) {}

  void show(int done, int total, int round, int rounds, const std::string& name, double elapsed) {
    if (!enabled_) return;
    std::string left =
        done > 0 ? ", ~" + clock_text(elapsed / done * (total - done)) + " left" : "";
    std::fprintf(stderr, "%s[%d/%d] round %d/%d  %s  (%s elapsed%s)%s", tty_ ? "\r\033[K" : "",
                 done + 1, total, round, rounds, name.c_str(), clock_text(elapsed).c_str(),
                 left.c_str(), tty_ ? "" : "\n");
    std::fflush(stderr);
  }

  void finish() {
    if (enabled_ && tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  bool tty_;
};

}  // namespace

double run_rounds(const std::vector<Job>& jobs, int rounds, bool progress) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const int total = static_cast<int>(jobs.size()) * rounds;
  Progress line(progress);
  int done = 0;
  for (int round = 1; round <= rounds; ++round) {
    for (const Job& job : jobs) {
      double elapsed = std::chrono::duration<double>(clock::now() - start).count();
      line.show(done, total, round, rounds, job.name, elapsed);
      job.run();
      ++done;
    }
  }
  line.finish();
  return std::chrono::duration<double>(clock::now() - start).count();
}

}  // namespace eddy::bench_tool
