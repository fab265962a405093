#include "libs/testing/temp_dir.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tocsin::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  std::string pattern =
      absl::StrCat(EnvOr("TEST_TMPDIR", "/tmp"), "/", prefix, ".XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    fprintf(stderr, "MakeTempDir: mkdtemp(%s) failed: %s\n", pattern.c_str(),
            strerror(errno));
    abort();
  }
  return std::string(buffer.data());
}

std::string RunfilePath(const std::string& workspace_relative) {
  const std::string srcdir = EnvOr("TEST_SRCDIR", "");
  if (srcdir.empty()) return workspace_relative;
  std::string path = absl::StrCat(srcdir, "/", EnvOr("TEST_WORKSPACE", "tocsin"),
                                  "/", workspace_relative);
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? path : workspace_relative;
}

}  // namespace tocsin::testing
