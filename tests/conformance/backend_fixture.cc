#include "backend_fixture.h"

#include <cstdlib>
#include <cctype>
#include <set>

#include "absl/strings/str_split.h"

namespace eddy::testing {

std::vector<std::string> backend_names() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("EDDY_CONFORMANCE_BACKENDS"); env && *env) {
    for (absl::string_view s : absl::StrSplit(env, ',', absl::SkipEmpty())) out.emplace_back(s);
    return out;
  }
  std::set<std::string> seen;
  for (const BackendInfo& b : available_backends()) {
    if (b.available && seen.insert(b.name).second) out.push_back(b.name);
  }
  return out;
}

std::string backend_test_name(const std::string& param) {
  std::string base = param.substr(param.rfind('/') + 1);
  if (base.rfind("eddy-backend-", 0) == 0) base = base.substr(13);
  if (auto dot = base.find('.'); dot != std::string::npos) base = base.substr(0, dot);
  std::string name;
  for (char c : base) name += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return name.empty() ? "plugin" : name;
}

}  // namespace eddy::testing
