// proc_sample.h -- what the soak samples of its own process: open file
// descriptors (/proc/self/fd) and resident set size (/proc/self/statm).
//
// The RSS is read after malloc_trim(0), so that memory the allocator holds
// free but has not returned does not look like a leak; what is still in
// use (a leak) stays resident.
//
// Thread-safety: thread-safe (reads /proc only).
#ifndef EDDY_TESTS_SOAK_PROC_SAMPLE_H_
#define EDDY_TESTS_SOAK_PROC_SAMPLE_H_

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

namespace eddy::soak {

struct ProcSample {
  int fds = -1;
  int64_t rss_kib = -1;
};

inline ProcSample sample_process() {
  ProcSample s;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    int n = 0;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
    s.fds = n - 1;  // not the directory's own descriptor
  }
  ::malloc_trim(0);
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    long size = 0, resident = 0;
    if (std::fscanf(f, "%ld %ld", &size, &resident) == 2) {
      s.rss_kib = static_cast<int64_t>(resident) * ::sysconf(_SC_PAGESIZE) / 1024;
    }
    std::fclose(f);
  }
  return s;
}

}  // namespace eddy::soak

#endif  // EDDY_TESTS_SOAK_PROC_SAMPLE_H_
