// ParseBody: a protobuf message stored whole in a BLOB column, read back.
// A body that does not parse is DataLoss naming what it is ("stored
// engagement does not parse"): the row is damaged, retrying will not help.
//
//   ASSIGN_OR_RETURN(v1::Runbook r, store::ParseBody<v1::Runbook>(s.ColumnBlob(0), "runbook"));
#ifndef TOCSIN_LIBS_STORE_PROTO_BODY_H_
#define TOCSIN_LIBS_STORE_PROTO_BODY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tocsin::store {

template <typename Proto>
absl::StatusOr<Proto> ParseBody(const std::string& bytes, absl::string_view what) {
  Proto p;
  if (!p.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("stored ", what, " does not parse"));
  }
  return p;
}

}  // namespace tocsin::store

#endif  // TOCSIN_LIBS_STORE_PROTO_BODY_H_
