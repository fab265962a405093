#include "libs/bus/event_bus.h"

#include <algorithm>
#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/text/text.h"

namespace tocsin::bus {
namespace {

constexpr char kSubjectPrefix[] = "tocsin.";
constexpr char kDeadLetterDomain[] = "deadletter";

// A subject token of a type: lowercase letters, digits, '-' and '_'.
bool IsTypeWord(absl::string_view word) {
  if (word.empty()) return false;
  for (char c : word) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

bool IsDurableName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string SubjectFor(const std::string& type) {
  return absl::StrCat(kSubjectPrefix, type);
}

std::string StreamFor(const std::string& type) {
  return absl::StrCat("TOCSIN_", absl::AsciiStrToUpper(DomainOf(type)));
}

std::string DeadLetterSubject(const std::string& durable_name) {
  return absl::StrCat(kSubjectPrefix, kDeadLetterDomain, ".", durable_name);
}

std::string TypeOfSubject(const std::string& subject) {
  absl::string_view type = subject;
  absl::ConsumePrefix(&type, kSubjectPrefix);
  return std::string(type);
}

std::string DomainOf(const std::string& type) {
  return type.substr(0, type.find('.'));
}

std::vector<StreamSpec> StreamsFor(const std::vector<std::string>& domains) {
  std::vector<StreamSpec> streams;
  for (const std::string& domain : domains) {
    streams.push_back(
        {StreamFor(domain), absl::StrCat(kSubjectPrefix, domain, ".>")});
  }
  streams.push_back({kDeadLetterStream,
                     absl::StrCat(kSubjectPrefix, kDeadLetterDomain, ".>")});
  return streams;
}

absl::Status ValidateDomain(const std::string& domain) {
  if (!IsTypeWord(domain)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "domain \"", domain,
        "\" must be lowercase letters, digits, '-' and '_'"));
  }
  if (domain == kDeadLetterDomain) {
    return absl::InvalidArgumentError(
        "domain \"deadletter\" is reserved for dead-lettered messages");
  }
  return absl::OkStatus();
}

absl::Status ValidateType(const std::string& type) {
  std::vector<absl::string_view> words = absl::StrSplit(type, '.');
  bool words_ok = words.size() >= 2;
  for (absl::string_view word : words) words_ok = words_ok && IsTypeWord(word);
  if (!words_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event type \"", type,
        "\" must be \"<domain>.<event>\" of lowercase letters, digits, '-' "
        "and '_', e.g. \"incident.opened\""));
  }
  return ValidateDomain(DomainOf(type));
}

absl::Status ValidateEnvelope(const Envelope& envelope) {
  if (envelope.event_id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "envelope of type \"", envelope.type(), "\" has no event_id"));
  }
  if (envelope.type().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "envelope with event_id \"", envelope.event_id(), "\" has no type"));
  }
  return ValidateType(envelope.type());
}

absl::Status ValidateConsumerOptions(const ConsumerOptions& options) {
  if (!IsDurableName(options.durable_name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "durable name \"", options.durable_name,
        "\" must be non-empty letters, digits, '-' and '_'"));
  }
  if (options.types.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "consumer \"", options.durable_name, "\" names no event types"));
  }
  for (const std::string& type : options.types) {
    absl::Status valid = ValidateType(type);
    if (!valid.ok()) return valid;
    if (DomainOf(type) != DomainOf(options.types.front())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "consumer \"", options.durable_name,
          "\" mixes domains (one stream per consumer): ",
          absl::StrJoin(options.types, ", ")));
    }
  }
  if (options.max_failures < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_failures must be at least 1, not ", options.max_failures));
  }
  if (options.ack_wait <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ack_wait must be positive, not ", absl::FormatDuration(options.ack_wait)));
  }
  if (options.nak_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "nak_delay must not be negative, not ",
        absl::FormatDuration(options.nak_delay)));
  }
  if (options.max_nak_delay < options.nak_delay) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_nak_delay (", absl::FormatDuration(options.max_nak_delay),
        ") must not be shorter than nak_delay (",
        absl::FormatDuration(options.nak_delay), ")"));
  }
  return absl::OkStatus();
}

absl::Duration RetryDelay(const ConsumerOptions& options, int64_t deliveries) {
  absl::Duration delay = options.nak_delay;
  if (delay <= absl::ZeroDuration()) return absl::ZeroDuration();
  // Doubling a positive delay reaches any cap within a few dozen steps.
  for (int64_t n = 1; n < deliveries && delay < options.max_nak_delay; ++n) {
    delay *= 2;
  }
  return std::min(delay, options.max_nak_delay);
}

absl::Status CallHandler(const Handler& handler, const Envelope& envelope) {
  try {
    return handler(envelope);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("handler threw an exception: ", e.what()));
  } catch (...) {
    return absl::InternalError("handler threw an exception that is not a std::exception");
  }
}

std::string ErrorLine(const absl::Status& status) {
  return text::UntrustedLine(status.ToString(), text::kMaxDetailBytes);
}

absl::StatusOr<Envelope> ParseEnvelope(const void* data, int len) {
  Envelope envelope;
  if (len < 0 || !envelope.ParseFromArray(data, len)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message of ", len, " bytes is not a tocsin.events.v1.Envelope"));
  }
  absl::Status valid = ValidateEnvelope(envelope);
  if (!valid.ok()) return valid;
  return envelope;
}

}  // namespace tocsin::bus
