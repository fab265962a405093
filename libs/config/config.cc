#include "libs/config/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tocsin::config {

std::string EnvOr(const char* name, absl::string_view fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::string(fallback);
  return v;
}

int EnvOrInt(const char* name, int fallback) {
  int value;
  const char* v = std::getenv(name);
  if (v == nullptr || !absl::SimpleAtoi(v, &value)) return fallback;
  return value;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string why = absl::StrCat("cannot read secret file ", path, ": ",
                                   std::strerror(err));
    if (err == EACCES) return absl::PermissionDeniedError(why);
    return absl::NotFoundError(why);
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string s = buf.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

absl::StatusOr<std::string> Secret(const std::string& name) {
  std::string file = EnvOr((name + "_FILE").c_str(), "");
  if (!file.empty()) return ReadSecretFile(file);
  const char* v = std::getenv(name.c_str());
  if (v != nullptr && *v != '\0') return std::string(v);
  return absl::NotFoundError(
      absl::StrCat("secret ", name, " is not set (set ", name, "_FILE to a file holding it, or ",
                   name, ")"));
}

}  // namespace tocsin::config
