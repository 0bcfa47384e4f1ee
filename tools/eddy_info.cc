// eddy-info: prints the backends this process finds, the way the loader sees
// them -- which one EDDY_BACKEND / the default would select, and for those
// that cannot be used, why.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "eddy/backends.h"

int main(int argc, char** argv) {
  bool names_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--names") == 0) {
      names_only = true;
      continue;
    }
    if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      std::printf(
          "usage: eddy-info [--names]\n"
          "Lists the eddy loop backends found (built-in, $EDDY_BACKEND_PATH, the install's\n"
          "plugin dir, the build tree) with version, ABI, capabilities and availability.\n"
          "  --names   print only the names of the available backends, one per line\n");
      return 0;
    }
    std::fprintf(stderr, "eddy-info: unknown argument '%s' (try --help)\n", argv[i]);
    return 2;
  }
  if (names_only) {
    std::vector<std::string> seen;
    for (const eddy::BackendInfo& b : eddy::available_backends()) {
      if (!b.available || std::find(seen.begin(), seen.end(), b.name) != seen.end()) continue;
      seen.push_back(b.name);
      std::printf("%s\n", b.name.c_str());
    }
    return 0;
  }
  std::printf("eddy loop ABI %d.%d\n", EDDY_ABI_MAJOR(EDDY_ABI_VERSION_CURRENT),
              EDDY_ABI_MINOR(EDDY_ABI_VERSION_CURRENT));
  auto selected = eddy::plugins::select_backend({});
  std::printf("selected: %s\n\n",
              selected.ok() ? selected->info.name.c_str()
                            : std::string(selected.status().message()).c_str());
  std::printf("%-10s %-9s %-5s %-5s %-44s %s\n", "BACKEND", "VERSION", "ABI", "PRIO",
              "CAPABILITIES", "STATUS");
  for (const eddy::BackendInfo& b : eddy::available_backends()) {
    std::string abi = b.abi_version ? absl::StrFormat("%d.%d", EDDY_ABI_MAJOR(b.abi_version),
                                                      EDDY_ABI_MINOR(b.abi_version))
                                    : "-";
    std::printf("%-10s %-9s %-5s %-5d %-44s %s\n", b.name.c_str(),
                b.version.empty() ? "-" : b.version.c_str(), abi.c_str(), b.priority,
                eddy::capability_names(b.capabilities).c_str(),
                b.available ? "available" : ("unavailable: " + b.reason).c_str());
    if (!b.description.empty()) std::printf("%-10s   %s\n", "", b.description.c_str());
    std::printf("%-10s   %s\n", "", b.path.c_str());
  }
  return 0;
}
