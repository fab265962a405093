// Protobuf messages stored whole in a BLOB column, read back. A body that
// does not parse is DataLoss naming what it is ("stored engagement does not
// parse"): the row is damaged, retrying will not help.
//
//   ASSIGN_OR_RETURN(v1::Runbook r, store::ParseBody<v1::Runbook>(s.ColumnBlob(0), "runbook"));
//   ASSIGN_OR_RETURN(auto all, store::AllBodies<v1::Runbook>(statement, "runbook"));
#ifndef TOCSIN_LIBS_STORE_PROTO_BODY_H_
#define TOCSIN_LIBS_STORE_PROTO_BODY_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/status/status_macros.h"
#include "libs/store/database.h"

namespace tocsin::store {

template <typename Proto>
absl::StatusOr<Proto> ParseBody(const std::string& bytes, absl::string_view what) {
  Proto p;
  if (!p.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("stored ", what, " does not parse"));
  }
  return p;
}

// Every row's body (column 0) of a prepared, bound statement.
template <typename Proto>
absl::StatusOr<std::vector<Proto>> AllBodies(Statement& s, absl::string_view what) {
  std::vector<Proto> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(Proto p, ParseBody<Proto>(s.ColumnBlob(0), what));
    out.push_back(std::move(p));
  }
  return out;
}

// The first row's body (column 0), or nullopt when there is no row.
template <typename Proto>
absl::StatusOr<std::optional<Proto>> OneBody(Statement& s, absl::string_view what) {
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<Proto>();
  ASSIGN_OR_RETURN(Proto p, ParseBody<Proto>(s.ColumnBlob(0), what));
  return std::optional<Proto>(std::move(p));
}

}  // namespace tocsin::store

#endif  // TOCSIN_LIBS_STORE_PROTO_BODY_H_
