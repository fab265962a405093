#include "tools/cli/format.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace tocsin::cli {
namespace {

// The characters of UTF-8 `text` (its bytes that do not continue a
// character), so a cell of "—" or "é" pads like one character.
size_t Width(absl::string_view text) {
  return std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
}

}  // namespace

void Table::AddRow(std::vector<std::string> cells) {
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  if (rows_.empty()) return;
  const size_t columns = rows_.front().size();
  std::vector<size_t> widths(columns, 0);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < columns; ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i + 1 < columns; ++i) {
      absl::StrAppend(&line, row[i],
                      std::string(widths[i] - Width(row[i]) + 2, ' '));
    }
    absl::StrAppend(&line, row[columns - 1]);
    out << absl::StripTrailingAsciiWhitespace(line) << "\n";
  }
}

void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields,
                 std::ostream& out) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size());
  for (const auto& [key, value] : fields) {
    std::string line =
        absl::StrCat(key, ":", std::string(width - key.size() + 2, ' '), value);
    out << absl::StripTrailingAsciiWhitespace(line) << "\n";
  }
}

absl::StatusOr<nlohmann::ordered_json> ToJson(
    const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string text;
  google::protobuf::util::Status status =
      google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print ", message.GetTypeName(),
                     " as JSON: ", status.message().ToString()));
  }
  return nlohmann::ordered_json::parse(text);
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return "-";
  absl::Time time = absl::FromUnixSeconds(timestamp.seconds()) +
                    absl::Nanoseconds(timestamp.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

nlohmann::ordered_json TimestampJson(
    const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return nullptr;
  return FormatTimestamp(timestamp);
}

std::string FormatMinutes(int minutes) {
  if (minutes == 0) return "0m";
  return absl::FormatDuration(absl::Minutes(minutes));
}

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

std::string EnumLabel(absl::string_view name, absl::string_view prefix) {
  absl::string_view label = name;
  absl::ConsumePrefix(&label, prefix);
  if (label.empty() || label == "UNSPECIFIED") return "-";
  return absl::AsciiStrToLower(label);
}

}  // namespace tocsin::cli
