#include "libs/store/sqlite_status.h"

#include <sqlite3.h>

namespace tocsin::store {

absl::StatusCode StatusCodeForSqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      switch (rc) {
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return absl::StatusCode::kFailedPrecondition;
        case SQLITE_CONSTRAINT_NOTNULL:
        case SQLITE_CONSTRAINT_CHECK:
          return absl::StatusCode::kInvalidArgument;
        default:
          return absl::StatusCode::kAlreadyExists;
      }
    // Conditions that pass without anyone changing the data: another writer
    // finishes, space or memory is freed, the disk or the file comes back.
    // Reported as permanent, they would dead-letter events that only had to
    // wait.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_CANTOPEN:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kInternal;
  }
}

bool IsSqliteBusy(int rc) {
  return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

}  // namespace tocsin::store
