// Output of the tocsin CLI: aligned text tables and "Key: value" blocks for
// people, protobuf messages as JSON for scripts.
//
//   Table table;
//   table.AddRow({"ID", "STATUS"});
//   table.AddRow({"inc-1", "open"});
//   table.Print(out);  // columns padded to their widest cell
//
//   ASSIGN_OR_RETURN(nlohmann::ordered_json json, ToJsonArray(incidents));
//   out << json.dump(2) << "\n";
#ifndef TOCSIN_TOOLS_CLI_FORMAT_H_
#define TOCSIN_TOOLS_CLI_FORMAT_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace tocsin::cli {

// Rows of cells (a header is the first row) printed in columns two spaces
// apart, widths counted in characters (UTF-8: "—" is one). The last column is
// not padded, so it may hold free text.
class Table {
 public:
  // Every row has as many cells as the first.
  void AddRow(std::vector<std::string> cells);
  void Print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Prints "Key:" and value pairs with the values aligned.
void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields,
                 std::ostream& out);

// The message as protobuf JSON (lowerCamelCase names, fields with default
// values included), in field order.
absl::StatusOr<nlohmann::ordered_json> ToJson(
    const google::protobuf::Message& message);

template <typename M>
absl::StatusOr<nlohmann::ordered_json> ToJsonArray(
    const std::vector<M>& messages) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const M& message : messages) {
    ASSIGN_OR_RETURN(nlohmann::ordered_json json, ToJson(message));
    array.push_back(std::move(json));
  }
  return array;
}

// RFC 3339 in UTC ("2026-01-01T09:30:00Z"), or "-" when unset.
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);

// The timestamp as JSON: RFC 3339 in UTC, or null when unset.
nlohmann::ordered_json TimestampJson(
    const google::protobuf::Timestamp& timestamp);

// A whole number of minutes as a duration: 90 gives "1h30m", 0 "0m".
std::string FormatMinutes(int minutes);

// An enum value's name without its prefix, in lower case:
// ("INCIDENT_STATUS_OPEN", "INCIDENT_STATUS_") gives "open". The unspecified
// value gives "-".
std::string EnumLabel(absl::string_view name, absl::string_view prefix);

// The text, or "-" when it is empty (a table cell with nothing to say).
std::string OrDash(const std::string& text);

}  // namespace tocsin::cli

#endif  // TOCSIN_TOOLS_CLI_FORMAT_H_
