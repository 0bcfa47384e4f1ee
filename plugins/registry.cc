// The registry: discovery of plugin files, the table available_backends()
// shows, and selection (explicit option > $EDDY_BACKEND > priority).
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "eddy/registry.h"
#include "loader.h"

// The built-in epoll backend, linked into libeddy (backends/epoll).
extern "C" int32_t eddy_backend_negotiate_epoll(const eddy_negotiate_in* in,
                                                eddy_backend_desc* out);

#ifndef EDDY_PLUGIN_INSTALL_DIR
#define EDDY_PLUGIN_INSTALL_DIR ""
#endif
#ifndef EDDY_PLUGIN_BUILD_DIRS
#define EDDY_PLUGIN_BUILD_DIRS ""
#endif
// The plugins this tree builds (':'-separated names, e.g. "event:io_uring:uv").
// One that is found nowhere is listed as unavailable, "not installed", so a
// distribution that ships each plugin in a package of its own (docs/PACKAGING.md)
// still tells the user what is missing instead of leaving the name out.
#ifndef EDDY_KNOWN_PLUGINS
#define EDDY_KNOWN_PLUGINS ""
#endif

namespace eddy {
namespace plugins {
namespace {

constexpr const char* kBuiltinPath = "(built-in)";
constexpr const char* kPrefix = "eddy-backend-";
constexpr const char* kSuffix = ".so";

struct Entry {
  LoadedBackend backend;  // info.available=false with a reason when unusable
};

class Registry {
 public:
  // The table for a given extra directory, discovered once per distinct set
  // of directories.
  std::vector<Entry> entries(const std::string& extra_dir) {
    std::vector<std::string> dirs = search_dirs(extra_dir);
    std::string key = absl::StrJoin(dirs, "\n");
    std::lock_guard<std::mutex> lock(mu_);
    if (key != key_ || table_.empty()) {
      table_ = discover(dirs);
      key_ = key;
    }
    return table_;
  }

  absl::StatusOr<LoadedBackend> load_file(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return load_cached(path);
  }

 private:
  static std::vector<std::string> search_dirs(const std::string& extra_dir) {
    std::vector<std::string> dirs;
    if (!extra_dir.empty()) dirs.push_back(extra_dir);
    if (const char* env = std::getenv("EDDY_BACKEND_PATH")) {
      for (absl::string_view d : absl::StrSplit(env, ':', absl::SkipEmpty())) {
        dirs.emplace_back(d);
      }
    }
    // The install's plugin directory: beside the libeddy actually loaded (so a
    // tree unpacked anywhere, e.g. with `dpkg -x`, finds its own plugins), then
    // the one configured at build time. Usually they are the same directory.
    if (std::string beside = beside_library(); !beside.empty()) dirs.push_back(beside);
    if (*EDDY_PLUGIN_INSTALL_DIR) dirs.emplace_back(EDDY_PLUGIN_INSTALL_DIR);
    std::vector<std::string> build_dirs =
        absl::StrSplit(EDDY_PLUGIN_BUILD_DIRS, ':', absl::SkipEmpty());
    if (!build_dirs.empty() && in_build_tree(build_dirs.front())) {
      dirs.insert(dirs.end(), build_dirs.begin(), build_dirs.end());
    }
    return dirs;
  }

  // Whether the loaded libeddy is the build tree's own (BUILD/sdk/libeddy.so):
  // an installed or packaged copy never searches the tree it was built in.
  // A build dir is BUILD/backends/NAME.
  static bool in_build_tree(const std::string& build_dir) {
    std::string root = build_dir.substr(0, build_dir.rfind('/'));
    root = root.substr(0, root.rfind('/'));
    std::string beside = beside_library();  // DIR/eddy/backends
    if (root.empty() || beside.empty()) return false;
    return canonical(beside.substr(0, beside.size() - std::strlen("/eddy/backends"))) ==
           canonical(root + "/sdk");
  }

  // <directory of the loaded libeddy>/eddy/backends, the layout of an install
  // (libdir/libeddy.so.1, libdir/eddy/backends/); empty if dladdr cannot tell.
  static std::string beside_library() {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&beside_library), &info) || !info.dli_fname) return "";
    std::string lib = info.dli_fname;
    std::string::size_type slash = lib.rfind('/');
    if (slash == std::string::npos) return "";
    return lib.substr(0, slash) + "/eddy/backends";
  }

  // The directory's canonical path, so one directory reached by two spellings
  // is searched once; the spelling itself if it does not exist.
  static std::string canonical(const std::string& dir) {
    char buf[PATH_MAX];
    return realpath(dir.c_str(), buf) ? std::string(buf) : dir;
  }

  static std::vector<std::string> plugin_files(const std::string& dir) {
    std::vector<std::string> files;
    DIR* d = opendir(dir.c_str());
    if (!d) return files;
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > std::strlen(kPrefix) + std::strlen(kSuffix) &&
          name.compare(0, std::strlen(kPrefix), kPrefix) == 0 &&
          name.compare(name.size() - std::strlen(kSuffix), std::string::npos, kSuffix) == 0) {
        files.push_back(dir + "/" + name);
      }
    }
    closedir(d);
    std::sort(files.begin(), files.end());
    return files;
  }

  static std::string name_from_path(const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    base = base.substr(std::strlen(kPrefix));
    return base.substr(0, base.size() - std::strlen(kSuffix));
  }

  absl::StatusOr<LoadedBackend> load_cached(const std::string& path) /* mu_ held */ {
    auto it = loaded_.find(path);
    if (it == loaded_.end()) it = loaded_.emplace(path, load_plugin(path)).first;
    return it->second;
  }

  std::vector<Entry> discover(const std::vector<std::string>& dirs) /* mu_ held */ {
    std::vector<Entry> table;
    std::map<std::string, std::string> first_path;  // name -> path that won
    auto add = [&](absl::StatusOr<LoadedBackend> lb, const std::string& path) {
      Entry e;
      if (!lb.ok()) {
        e.backend.info.name = name_from_path(path);
        e.backend.info.path = path;
        e.backend.info.available = false;
        e.backend.info.reason = std::string(lb.status().message());
      } else {
        e.backend = *lb;
        auto [it, inserted] = first_path.emplace(e.backend.info.name, path);
        if (!inserted) {
          e.backend.info.available = false;
          e.backend.info.reason = "shadowed by " + it->second;
        }
      }
      table.push_back(std::move(e));
    };
    if (!builtin_) builtin_ = negotiate_entry(&eddy_backend_negotiate_epoll, kBuiltinPath);
    add(*builtin_, kBuiltinPath);
    std::vector<std::string> seen_dirs;
    for (const std::string& dir : dirs) {
      std::string real = canonical(dir);
      if (std::find(seen_dirs.begin(), seen_dirs.end(), real) != seen_dirs.end()) continue;
      seen_dirs.push_back(real);
      for (const std::string& f : plugin_files(dir)) add(load_cached(f), f);
    }
    add_not_installed(table, dirs);
    // Available first, by priority (stable: discovery order among equals).
    std::stable_sort(table.begin(), table.end(), [](const Entry& a, const Entry& b) {
      if (a.backend.info.available != b.backend.info.available) return a.backend.info.available;
      return a.backend.info.priority > b.backend.info.priority;
    });
    return table;
  }

  // One unavailable entry for each plugin this tree builds that no searched
  // directory holds.
  static void add_not_installed(std::vector<Entry>& table, const std::vector<std::string>& dirs) {
    for (absl::string_view known : absl::StrSplit(EDDY_KNOWN_PLUGINS, ':', absl::SkipEmpty())) {
      bool listed = std::any_of(table.begin(), table.end(),
                                [&](const Entry& e) { return e.backend.info.name == known; });
      if (listed) continue;
      Entry e;
      e.backend.info.name = std::string(known);
      e.backend.info.path = "(not installed)";
      e.backend.info.available = false;
      e.backend.info.reason =
          absl::StrFormat("not installed: no %s%s%s in %s", kPrefix, known, kSuffix,
                          dirs.empty() ? std::string("any plugin directory")
                                       : absl::StrJoin(dirs, ", "));
      table.push_back(std::move(e));
    }
  }

  // std::mutex, not absl::Mutex: Debian's Abseil is not built for TSan, so
  // its Mutex is invisible to it and every guarded access would be reported.
  std::mutex mu_;
  std::string key_;
  std::vector<Entry> table_;
  std::map<std::string, absl::StatusOr<LoadedBackend>> loaded_;
  std::optional<absl::StatusOr<LoadedBackend>> builtin_;
};

Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

std::string names_of(const std::vector<Entry>& table) {
  std::vector<std::string> avail, unavail;
  for (const Entry& e : table) {
    if (e.backend.info.available) {
      avail.push_back(e.backend.info.name);
    } else if (e.backend.info.reason.rfind("shadowed", 0) != 0) {
      unavail.push_back(e.backend.info.name + " (" + e.backend.info.reason + ")");
    }
  }
  std::string s = "available: " + (avail.empty() ? std::string("none") : absl::StrJoin(avail, ", "));
  if (!unavail.empty()) s += "; unavailable: " + absl::StrJoin(unavail, "; ");
  return s;
}

}  // namespace

absl::StatusOr<LoadedBackend> load_plugin_file(const std::string& path) {
  absl::StatusOr<LoadedBackend> lb = registry().load_file(path);
  if (!lb.ok()) return lb.status();
  if (!lb->info.available) {
    return absl::UnavailableError(
        absl::StrFormat("%s: backend '%s' is unavailable: %s", path, lb->info.name, lb->info.reason));
  }
  return lb;
}

absl::StatusOr<LoadedBackend> select_backend(const BackendRequest& request) {
  std::string want = request.backend;
  const char* source = "LoopOptions::backend";
  if (want.empty()) {
    if (const char* env = std::getenv("EDDY_BACKEND"); env && *env) {
      want = env;
      source = "EDDY_BACKEND";
    }
  }
  if (want.find('/') != std::string::npos) return load_plugin_file(want);

  std::vector<Entry> table = registry().entries(request.plugin_path);
  if (want.empty()) {
    for (const Entry& e : table) {
      if (e.backend.info.available) return e.backend;
    }
    return absl::UnavailableError("no usable eddy backend: " + names_of(table));
  }
  for (const Entry& e : table) {
    if (e.backend.info.name != want) continue;
    if (e.backend.info.available) return e.backend;
    if (e.backend.info.reason.rfind("shadowed", 0) == 0) continue;
    return absl::UnavailableError(absl::StrFormat("backend '%s' (%s) is unavailable: %s", want,
                                                  e.backend.info.path, e.backend.info.reason));
  }
  return absl::NotFoundError(absl::StrFormat("no eddy backend named '%s' (from %s); %s", want,
                                             source, names_of(table)));
}

}  // namespace plugins

std::vector<BackendInfo> available_backends() {
  std::vector<BackendInfo> out;
  for (const plugins::Entry& e : plugins::registry().entries("")) out.push_back(e.backend.info);
  return out;
}

std::string capability_names(uint64_t caps) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {EDDY_CAP_THREADSAFE_WAKEUP, "threadsafe-wakeup"},
      {EDDY_CAP_NS_TIMERS, "ns-timers"},
      {EDDY_CAP_NATIVE_HANDLE, "native-handle"},
      {EDDY_CAP_SIGNALS, "signals"},
      {EDDY_CAP_CHILD_WATCH, "child-watch"},
      {EDDY_CAP_COMPLETION_IO, "completion-io"},
      {EDDY_CAP_FORK_REINIT, "fork-reinit"},
  };
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (caps & bit) {
      names.emplace_back(name);
      caps &= ~bit;
    }
  }
  if (caps) names.push_back(absl::StrFormat("0x%x", caps));
  return names.empty() ? std::string("-") : absl::StrJoin(names, ",");
}

}  // namespace eddy
