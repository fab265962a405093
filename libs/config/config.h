// Configuration helpers. Settings come from flags, whose defaults come from
// environment variables (so a container sets TOCSIN_* and a developer passes
// --flags); secrets come only from files or the environment, never flags,
// and are never logged.
//
//   ABSL_FLAG(std::string, db, tocsin::config::EnvOr("TOCSIN_INCIDENTS_DB", ".state/incidents.db"), "...");
//   ASSIGN_OR_RETURN(std::string token, tocsin::config::Secret("TOCSIN_API_TOKEN"));
#ifndef TOCSIN_LIBS_CONFIG_CONFIG_H_
#define TOCSIN_LIBS_CONFIG_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tocsin::config {

// The environment variable's value, or fallback when unset or empty.
std::string EnvOr(const char* name, absl::string_view fallback);
// The variable as an integer, or fallback when unset or empty. A value that is
// not an integer ("six", "10s") also gives fallback, and is recorded so that
// CheckEnvironment() fails start-up naming the variable: a flag's default is
// computed where no error can be returned (the service host evaluates every
// flag before calling CheckEnvironment()).
int EnvOrInt(const char* name, int fallback);

// OK unless an EnvOrInt() call met a malformed value; then InvalidArgument
// naming every such variable and its value ("TOCSIN_PAGING_MAX_ATTEMPTS=six
// is not an integer"). The service host calls it before anything starts.
absl::Status CheckEnvironment();

// Reads a secret file (trailing newlines trimmed). NotFound / PermissionDenied
// name the path, never the content.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// A secret from $NAME_FILE (a path, as Kubernetes mounts Secrets) or else
// $NAME. NotFound if neither is set.
absl::StatusOr<std::string> Secret(const std::string& name);

}  // namespace tocsin::config

#endif  // TOCSIN_LIBS_CONFIG_CONFIG_H_
