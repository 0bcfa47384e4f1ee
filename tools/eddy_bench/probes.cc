// probes.cc -- the machine probes: an add chain, the kernel's core MHz, a
// condvar ping-pong between two pinned threads, and what the machine is.
#include "probes.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "absl/strings/str_format.h"
#include "stats.h"
#include "text.h"

namespace eddy::bench_tool {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return "";
  while (!line.empty() && (line.back() == ' ' || line.back() == '\n')) line.pop_back();
  return line;
}

// The value of each "key : value" line of /proc/cpuinfo whose key is `key`.
std::vector<std::string> cpuinfo_values(const std::string& key) {
  std::vector<std::string> out;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (line.find_first_not_of(" \t", key.size()) != colon) continue;  // a longer key
    size_t start = line.find_first_not_of(" \t", colon + 1);
    out.push_back(start == std::string::npos ? "" : line.substr(start));
  }
  return out;
}

// ---- cpu speed ----

// Not a constant, so the chain cannot be folded.
volatile uint64_t g_step = 3;

// 8 * iters dependent adds. The empty asm makes x opaque after every add,
// so the compiler can neither combine nor vectorize them; each add waits
// for the previous one (1 cycle), the loop counter runs beside the chain.
[[gnu::noinline]] uint64_t add_chain(int64_t iters) {
  uint64_t step = g_step;
  uint64_t x = step;
  for (int64_t i = 0; i < iters; ++i) {
#define EDDY_PROBE_ADD \
  x += step;           \
  asm volatile("" : "+r"(x))
    EDDY_PROBE_ADD;
    EDDY_PROBE_ADD;
    EDDY_PROBE_ADD;
    EDDY_PROBE_ADD;
    EDDY_PROBE_ADD;
    EDDY_PROBE_ADD;
    EDDY_PROBE_ADD;
    EDDY_PROBE_ADD;
#undef EDDY_PROBE_ADD
  }
  return x;
}

CpuSpeedProbe probe_cpu_speed() {
  constexpr int64_t kIters = 6'250'000;  // 5.0e7 adds: ~17 ms at 3 GHz
  CpuSpeedProbe p;
  p.adds = kIters * 8;
  volatile uint64_t sink = 0;
  for (int pass = 0; pass < 3; ++pass) {
    Clock::time_point t0 = Clock::now();
    sink = sink + add_chain(kIters);
    double ms = seconds_since(t0) * 1e3;
    if (p.passes == 0 || ms < p.best_ms) p.best_ms = ms;
    ++p.passes;
    if (ms > 100) break;  // a very slow (emulated?) CPU: one pass is enough
  }
  return p;
}

// ---- core MHz ----

void probe_core_mhz(MachineProbes* p) {
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  std::vector<double> mhz;
  for (int cpu = 0; cpu < cores; ++cpu) {
    std::string khz = read_first_line("/sys/devices/system/cpu/cpu" + std::to_string(cpu) +
                                      "/cpufreq/scaling_cur_freq");
    if (khz.empty()) break;
    mhz.push_back(std::atof(khz.c_str()) / 1e3);
  }
  if (cores > 0 && static_cast<int>(mhz.size()) == cores) {
    p->core_mhz = mhz;
    p->core_mhz_source = "cpufreq scaling_cur_freq";
    return;
  }
  p->core_mhz.clear();
  for (const std::string& v : cpuinfo_values("cpu MHz")) p->core_mhz.push_back(std::atof(v.c_str()));
  p->core_mhz_source = p->core_mhz.empty() ? "none" : "/proc/cpuinfo cpu MHz";
}

// ---- wake-up ----

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

void pin_to(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

WakePhase wake_phase(std::vector<double> us) {
  WakePhase w;
  w.trips = static_cast<int>(us.size());
  if (us.empty()) return w;
  w.median_us = summarize(us).median;  // stats.h
  std::sort(us.begin(), us.end());
  size_t n = us.size();
  w.p90_us = us[std::min(n - 1, n * 9 / 10)];
  return w;
}

constexpr int kWarmupTrips = 20;

// The peer polls an atomic: an odd turn is the peer's, an even one ours.
WakePhase spin_phase(int cpu_a, int cpu_b, int trips, double cap_s, bool* timed_out) {
  std::atomic<int64_t> turn{0};
  std::atomic<bool> stop{false};
  std::vector<double> us;
  us.reserve(static_cast<size_t>(trips));
  std::thread peer([&] {
    pin_to(cpu_b);
    for (;;) {
      int64_t t;
      while (((t = turn.load(std::memory_order_acquire)) & 1) == 0) {
        if (stop.load(std::memory_order_relaxed)) return;
        cpu_relax();
      }
      turn.store(t + 1, std::memory_order_release);
    }
  });
  std::thread self([&] {
    pin_to(cpu_a);
    Clock::time_point start = Clock::now();
    for (int i = 0; i < kWarmupTrips + trips && seconds_since(start) < cap_s; ++i) {
      Clock::time_point t0 = Clock::now();
      int64_t t = turn.load(std::memory_order_relaxed);
      turn.store(t + 1, std::memory_order_release);
      for (uint32_t spins = 1; turn.load(std::memory_order_acquire) != t + 2; ++spins) {
        cpu_relax();
        if (spins % 4096 == 0 && seconds_since(start) > 4 * cap_s + 0.05) {
          *timed_out = true;
          return;
        }
      }
      if (i >= kWarmupTrips) {
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    }
  });
  self.join();
  stop.store(true, std::memory_order_relaxed);
  peer.join();
  return wake_phase(std::move(us));
}

// The peer waits in a condition variable, as ThreadPoolExecutor's workers
// do (worker_main); the measuring side waits for the answer the same way.
// `pause`, when non-zero, is slept before each trip.
WakePhase condvar_phase(int cpu_a, int cpu_b, int trips, std::chrono::microseconds pause,
                        double cap_s, bool* timed_out) {
  std::mutex mu;
  std::condition_variable to_peer, to_self;
  int64_t turn = 0;  // odd: the peer's
  bool stop = false;
  std::vector<double> us;
  us.reserve(static_cast<size_t>(trips));
  std::thread peer([&] {
    pin_to(cpu_b);
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      to_peer.wait(lock, [&] { return (turn & 1) != 0 || stop; });
      if (stop) return;
      ++turn;
      lock.unlock();
      to_self.notify_one();
      lock.lock();
    }
  });
  std::thread self([&] {
    pin_to(cpu_a);
    Clock::time_point start = Clock::now();
    int warmup = pause.count() > 0 ? 3 : kWarmupTrips;
    for (int i = 0; i < warmup + trips && seconds_since(start) < cap_s; ++i) {
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
      Clock::time_point t0 = Clock::now();
      {
        std::lock_guard<std::mutex> lock(mu);
        ++turn;
      }
      to_peer.notify_one();
      {
        std::unique_lock<std::mutex> lock(mu);
        if (!to_self.wait_for(lock, std::chrono::seconds(1), [&] { return (turn & 1) == 0; })) {
          *timed_out = true;
          return;
        }
      }
      if (i >= warmup) {
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    }
  });
  self.join();
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  to_peer.notify_one();
  peer.join();
  return wake_phase(std::move(us));
}

WakeProbe probe_wake_up() {
  WakeProbe w;
  w.mechanism = "std::mutex + std::condition_variable (futex), as ThreadPoolExecutor's workers";
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE && w.cpu_b < 0; ++cpu) {
      if (!CPU_ISSET(cpu, &allowed)) continue;
      (w.cpu_a < 0 ? w.cpu_a : w.cpu_b) = cpu;
    }
  }
  bool timed_out = false;
  if (w.cpu_b >= 0) {
    w.spin = spin_phase(w.cpu_a, w.cpu_b, 1000, 0.03, &timed_out);
  } else {
    w.note = "one CPU: both threads on it, no busy-spinning phase";
    w.cpu_b = w.cpu_a;
  }
  if (!timed_out) {
    w.blocked = condvar_phase(w.cpu_a, w.cpu_b, 1000, std::chrono::microseconds(0), 0.08,
                              &timed_out);
  }
  constexpr auto kPause = std::chrono::microseconds(1000);
  w.idle_pause_ms = 1.0;
  if (!timed_out) w.idle = condvar_phase(w.cpu_a, w.cpu_b, 100, kPause, 0.13, &timed_out);
  if (timed_out) w.note += std::string(w.note.empty() ? "" : "; ") + "a round trip timed out";
  return w;
}

// ---- what the machine is ----

std::string hypervisor_name(const std::string& signature) {
  static const std::pair<const char*, const char*> kKnown[] = {
      {"KVMKVMKVM", "KVM"},          {"Linux KVM Hv", "KVM (Hyper-V enlightenments)"},
      {"Microsoft Hv", "Hyper-V"},   {"VMwareVMware", "VMware"},
      {"XenVMMXenVMM", "Xen"},       {"TCGTCGTCGTCG", "QEMU TCG (emulated)"},
      {"VBoxVBoxVBox", "VirtualBox"}, {"ACRNACRNACRN", "ACRN"},
      {"bhyve bhyve ", "bhyve"},     {" lrpepyh  vr", "Parallels"},
  };
  for (const auto& [sig, name] : kKnown) {
    if (signature.rfind(sig, 0) == 0) return name;
  }
  return signature;
}

MachineKind probe_machine() {
  MachineKind m;
  std::vector<std::string> evidence;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) && (c >> 31) & 1) {
    __cpuid(0x40000000, a, b, c, d);
    char sig[13] = {};
    for (int i = 0; i < 4; ++i) {
      sig[i] = static_cast<char>(b >> (8 * i));
      sig[4 + i] = static_cast<char>(c >> (8 * i));
      sig[8 + i] = static_cast<char>(d >> (8 * i));
    }
    m.vm = true;
    m.hypervisor = hypervisor_name(sig);
    evidence.push_back("cpuid hypervisor bit, leaf 0x40000000 \"" + std::string(sig) + "\"");
  }
#endif
  std::vector<std::string> flags = cpuinfo_values("flags");
  if (!flags.empty() && (" " + flags[0] + " ").find(" hypervisor ") != std::string::npos) {
    m.vm = true;
    evidence.push_back("hypervisor flag in /proc/cpuinfo");
  }
  std::string xen = read_first_line("/sys/hypervisor/type");
  if (!xen.empty()) {
    m.vm = true;
    evidence.push_back("/sys/hypervisor/type " + xen);
  }
  std::string vendor = read_first_line("/sys/class/dmi/id/sys_vendor");
  std::string product = read_first_line("/sys/class/dmi/id/product_name");
  if (vendor.empty() && product.empty()) {
    evidence.push_back("no DMI");
  } else {
    evidence.push_back("DMI " + vendor + (vendor.empty() || product.empty() ? "" : " / ") + product);
  }
  std::string joined;
  for (const std::string& e : evidence) joined += (joined.empty() ? "" : ", ") + e;
  m.evidence = joined;

  std::string dir = "/sys/devices/system/cpu/cpuidle/";
  std::string driver = read_first_line(dir + "current_driver");
  std::string governor = read_first_line(dir + "current_governor_ro");
  if (governor.empty()) governor = read_first_line(dir + "current_governor");
  if (!driver.empty() || !governor.empty()) {
    m.cpuidle = "cpuidle driver " + (driver.empty() ? "?" : driver) + ", governor " +
                (governor.empty() ? "?" : governor);
    if (driver == "haltpoll") {
      std::string ns = read_first_line("/sys/module/haltpoll/parameters/guest_halt_poll_ns");
      if (!ns.empty()) m.cpuidle += ", guest halt-poll " + ns + " ns";
    }
  } else {
    m.cpuidle = "no cpuidle in sysfs";
  }
  return m;
}

// "5.0e7"
std::string scientific(double v) {
  if (v <= 0) return "0";
  int exponent = static_cast<int>(std::floor(std::log10(v)));
  return absl::StrFormat("%.1fe%d", v / std::pow(10.0, exponent), exponent);
}

}  // namespace

MachineProbes run_probes() {
  Clock::time_point t0 = Clock::now();
  MachineProbes p;
  p.machine = probe_machine();
  probe_core_mhz(&p);
  p.speed = probe_cpu_speed();
  p.wake = probe_wake_up();
  p.seconds = seconds_since(t0);
  return p;
}

std::string cpu_speed_line(const MachineProbes& p) {
  std::string line = scientific(static_cast<double>(p.speed.adds)) +
                     absl::StrFormat(" dependent adds in %.1f ms = %.2f G/s (best of %d)",
                                     p.speed.best_ms, p.speed.gadds_per_s(), p.speed.passes);
  std::string mhz;
  for (double m : p.core_mhz) mhz += (mhz.empty() ? "" : ", ") + std::to_string(std::lround(m));
  if (!mhz.empty()) line += "; MHz now " + mhz + " (" + p.core_mhz_source + ")";
  return line;
}

std::string machine_line(const MachineProbes& p) {
  const MachineKind& m = p.machine;
  std::string line = m.vm ? "VM" : "no hypervisor seen";
  if (!m.hypervisor.empty()) line += ", " + m.hypervisor;
  line += " (" + m.evidence + "); " + m.cpuidle;
  return line;
}

std::vector<std::string> wake_lines(const MachineProbes& p) {
  const WakeProbe& w = p.wake;
  auto cell = [](const WakePhase& ph) {
    if (ph.trips == 0) return std::string("-");
    return format_duration(ph.median_us * 1e3) + " (p90 " + format_duration(ph.p90_us * 1e3) +
           ", " + std::to_string(ph.trips) + " trips)";
  };
  std::vector<std::string> lines;
  lines.push_back("round trip CPU " + std::to_string(w.cpu_a) + " <-> CPU " +
                  std::to_string(w.cpu_b) + ", " + w.mechanism + "; median:" +
                  (w.note.empty() ? "" : " (" + w.note + ")"));
  lines.push_back("  busy-spinning peer          " + cell(w.spin));
  lines.push_back("  peer blocked, back to back  " + cell(w.blocked));
  lines.push_back("  peer idle (blocked)         " + cell(w.idle) +
                  absl::StrFormat(", a %g ms pause before each", w.idle_pause_ms));
  return lines;
}

Json probes_json(const MachineProbes& p) {
  auto phase = [](const WakePhase& ph) {
    return Json{{"trips", ph.trips}, {"median_us", ph.median_us}, {"p90_us", ph.p90_us}};
  };
  Json j;
  j["seconds"] = p.seconds;
  j["cpu_speed"] = {{"dependent_adds", p.speed.adds},
                    {"best_ms", p.speed.best_ms},
                    {"passes", p.speed.passes},
                    {"gadds_per_s", p.speed.gadds_per_s()}};
  j["core_mhz"] = p.core_mhz;
  j["core_mhz_source"] = p.core_mhz_source;
  Json wake;
  wake["mechanism"] = p.wake.mechanism;
  wake["cpu_a"] = p.wake.cpu_a;
  wake["cpu_b"] = p.wake.cpu_b;
  wake["busy_spinning_peer"] = phase(p.wake.spin);
  wake["peer_blocked"] = phase(p.wake.blocked);
  wake["peer_idle"] = phase(p.wake.idle);
  wake["idle_pause_ms"] = p.wake.idle_pause_ms;
  wake["note"] = p.wake.note;
  j["wake_up"] = std::move(wake);
  j["machine"] = {{"vm", p.machine.vm},
                  {"hypervisor", p.machine.hypervisor},
                  {"evidence", p.machine.evidence},
                  {"cpuidle", p.machine.cpuidle}};
  return j;
}

}  // namespace eddy::bench_tool
