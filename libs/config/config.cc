#include "libs/config/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace tocsin::config {

std::string EnvOr(const char* name, absl::string_view fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::string(fallback);
  return v;
}

namespace {

absl::Mutex env_mu(absl::kConstInit);

std::vector<std::string>& EnvErrors() ABSL_EXCLUSIVE_LOCKS_REQUIRED(env_mu) {
  static auto* errors = new std::vector<std::string>();
  return *errors;
}

}  // namespace

int EnvOrInt(const char* name, int fallback) {
  int value;
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  if (!absl::SimpleAtoi(v, &value)) {
    absl::MutexLock l(&env_mu);
    EnvErrors().push_back(absl::StrCat(name, "=", v, " is not an integer"));
    return fallback;
  }
  return value;
}

absl::Status CheckEnvironment() {
  absl::MutexLock l(&env_mu);
  if (EnvErrors().empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "malformed environment: ", absl::StrJoin(EnvErrors(), "; ")));
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
