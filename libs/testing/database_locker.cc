#include "libs/testing/database_locker.h"

#include <sqlite3.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace tocsin::testing {

absl::StatusOr<std::unique_ptr<DatabaseLocker>> DatabaseLocker::Lock(
    const std::string& path, absl::Duration acquire_timeout) {
  if (access(path.c_str(), F_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("no database file at ", path));
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("cannot open ", path, ": ", db != nullptr ? sqlite3_errmsg(db) : "?"));
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, static_cast<int>(absl::ToInt64Milliseconds(acquire_timeout)));
  char* error = nullptr;
  if (sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, &error) != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(absl::StrCat(
        "cannot lock ", path, " within ", absl::FormatDuration(acquire_timeout), ": ",
        error != nullptr ? error : sqlite3_errmsg(db)));
    sqlite3_free(error);
    sqlite3_close(db);
    return s;
  }
  return std::unique_ptr<DatabaseLocker>(new DatabaseLocker(db, absl::Now()));
}

DatabaseLocker::~DatabaseLocker() { Release(); }

void DatabaseLocker::Release() {
  if (db_ == nullptr) return;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db_);
  db_ = nullptr;
}

}  // namespace tocsin::testing
