#include "libs/log/log.h"

#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace tocsin::log {
namespace {

absl::Mutex mu;
std::string* service_name = new std::string("tocsin");

std::shared_ptr<spdlog::logger> Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_logger_mt("tocsin-json");
    l->set_pattern("%v");
    l->flush_on(spdlog::level::info);
    return l;
  }();
  return logger;
}

void Emit(spdlog::level::level_enum level, absl::string_view name,
          absl::string_view msg, Fields fields) {
  auto logger = Logger();
  if (!logger->should_log(level)) return;
  logger->log(level, "{}", FormatLine(name, msg, fields));
}

}  // namespace

void Init(absl::string_view service, absl::string_view level) {
  {
    absl::MutexLock l(&mu);
    *service_name = std::string(service);
  }
  Logger()->set_level(spdlog::level::from_str(std::string(level)));
}

std::string FormatLine(absl::string_view level, absl::string_view msg,
                       Fields fields) {
  nlohmann::json line;
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                absl::UTCTimeZone());
  line["level"] = std::string(level);
  {
    absl::MutexLock l(&mu);
    line["service"] = *service_name;
  }
  line["msg"] = std::string(msg);
  for (const auto& [key, value] : fields) line[std::string(key)] = value;
  // Replace invalid UTF-8 instead of throwing: a log line must never crash.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Debug(absl::string_view msg, Fields fields) {
  Emit(spdlog::level::debug, "debug", msg, fields);
}
void Info(absl::string_view msg, Fields fields) {
  Emit(spdlog::level::info, "info", msg, fields);
}
void Warn(absl::string_view msg, Fields fields) {
  Emit(spdlog::level::warn, "warn", msg, fields);
}
void Error(absl::string_view msg, Fields fields) {
  Emit(spdlog::level::err, "error", msg, fields);
}

}  // namespace tocsin::log
