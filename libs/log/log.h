// Structured logging: one JSON object per line on stderr, through spdlog.
//
//   tocsin::log::Init("incidents");
//   tocsin::log::Info("incident opened", {{"incident_id", id}, {"event_id", eid}});
//
// Every line carries "ts" (RFC 3339, UTC), "level", "service" and "msg", plus
// the given fields. Never log secrets (API keys, tokens, passwords).
#ifndef TOCSIN_LIBS_LOG_LOG_H_
#define TOCSIN_LIBS_LOG_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace tocsin::log {

using Field = std::pair<absl::string_view, std::string>;
using Fields = std::initializer_list<Field>;

// Sets the process-wide service name and level ("debug", "info", "warn",
// "error"). Safe to call more than once.
void Init(absl::string_view service, absl::string_view level = "info");

void Debug(absl::string_view msg, Fields fields = {});
void Info(absl::string_view msg, Fields fields = {});
void Warn(absl::string_view msg, Fields fields = {});
void Error(absl::string_view msg, Fields fields = {});

// The JSON line that would be logged (without the newline); for tests.
std::string FormatLine(absl::string_view level, absl::string_view msg,
                       Fields fields);

}  // namespace tocsin::log

#endif  // TOCSIN_LIBS_LOG_LOG_H_
