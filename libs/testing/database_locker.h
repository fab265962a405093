// DatabaseLocker: holds a service's SQLite database busy from the test
// process, as a backup, a long write or a stalled disk would (testonly).
//
//   ASSERT_OK_AND_ASSIGN(auto lock, DatabaseLocker::Lock(suite->db_path("paging")));
//   ... the service's writes now wait and then fail with SQLITE_BUSY ...
//   lock->Release();            // or let it go out of scope
//
// Lock opens the file with sqlite3 and takes `BEGIN EXCLUSIVE`: no other
// connection can write until Release (in WAL mode, the journal every Tocsin
// store uses, readers still read). It waits up to `acquire_timeout` for the
// service's own transactions to end; Unavailable if it cannot get the lock
// by then, NotFound if the file does not exist. Not thread-safe: one owner.
#ifndef TOCSIN_LIBS_TESTING_DATABASE_LOCKER_H_
#define TOCSIN_LIBS_TESTING_DATABASE_LOCKER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct sqlite3;

namespace tocsin::testing {

class DatabaseLocker {
 public:
  static absl::StatusOr<std::unique_ptr<DatabaseLocker>> Lock(
      const std::string& path, absl::Duration acquire_timeout = absl::Seconds(20));

  DatabaseLocker(const DatabaseLocker&) = delete;
  DatabaseLocker& operator=(const DatabaseLocker&) = delete;
  // Release().
  ~DatabaseLocker();

  // Ends the transaction (nothing was written) and closes the connection.
  // Idempotent.
  void Release();
  bool held() const { return db_ != nullptr; }
  // When the lock was taken.
  absl::Time since() const { return since_; }

 private:
  DatabaseLocker(sqlite3* db, absl::Time since) : db_(db), since_(since) {}
  sqlite3* db_;
  absl::Time since_;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_DATABASE_LOCKER_H_
