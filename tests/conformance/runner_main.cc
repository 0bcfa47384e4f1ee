// eddy-conformance: the whole conformance suite against one plugin file.
//
//   eddy-conformance PATH/TO/eddy-backend-NAME.so [--gtest_filter=...]
//
// Backend authors run this on their own plugin: it loads the file exactly as
// an application would (negotiation, probe), then runs every TEST_P of the
// suite with that plugin as the only backend, and exits non-zero if any test
// fails. Exit 2: the plugin does not load (the loader's reason is printed).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "eddy/backends.h"

int main(int argc, char** argv) {
  std::string plugin;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--gtest", 7) == 0 || std::strcmp(argv[i], "--help") == 0 ||
        std::strcmp(argv[i], "-h") == 0) {
      argv[out++] = argv[i];
    } else if (plugin.empty()) {
      plugin = argv[i];
    } else {
      std::fprintf(stderr, "eddy-conformance: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
  }
  argc = out;
  if (plugin.empty()) {
    std::fprintf(stderr,
                 "usage: eddy-conformance PATH/TO/plugin.so [--gtest_filter=...]\n"
                 "Runs eddy's conformance suite against one backend plugin file.\n");
    return 2;
  }
  if (plugin.find('/') == std::string::npos) plugin = "./" + plugin;
  auto loaded = eddy::plugins::load_plugin_file(plugin);
  if (!loaded.ok()) {
    std::fprintf(stderr, "eddy-conformance: %s\n", std::string(loaded.status().message()).c_str());
    return 2;
  }
  std::printf("eddy-conformance: backend '%s' %s (ABI %u.%u) from %s\n",
              loaded->info.name.c_str(), loaded->info.version.c_str(),
              EDDY_ABI_MAJOR(loaded->info.abi_version), EDDY_ABI_MINOR(loaded->info.abi_version),
              plugin.c_str());
  // The fixture reads this when gtest expands the parameterised suites.
  setenv("EDDY_CONFORMANCE_BACKENDS", plugin.c_str(), 1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS() == 0 ? 0 : 1;
}
