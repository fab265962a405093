// The one mapping from SQLite result codes to absl status codes (see the
// table in database.h), apart so it can be tested code by code: most of the
// transient codes (an I/O error, no memory) cannot be provoked on demand.
#ifndef TOCSIN_LIBS_STORE_SQLITE_STATUS_H_
#define TOCSIN_LIBS_STORE_SQLITE_STATUS_H_

#include "absl/status/status.h"

namespace tocsin::store {

// rc is a primary or extended result code other than SQLITE_OK, SQLITE_ROW
// and SQLITE_DONE.
absl::StatusCode StatusCodeForSqlite(int rc);

// True for SQLITE_BUSY and SQLITE_LOCKED (and their extended codes).
bool IsSqliteBusy(int rc);

}  // namespace tocsin::store

#endif  // TOCSIN_LIBS_STORE_SQLITE_STATUS_H_
