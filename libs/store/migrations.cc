#include "libs/store/migrations.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace tocsin::store {
namespace {

constexpr absl::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at INTEGER NOT NULL)";
constexpr absl::string_view kSelectApplied =
    "SELECT version, name FROM schema_migrations";
constexpr absl::string_view kSelectOne =
    "SELECT 1 FROM schema_migrations WHERE version = ?";
constexpr absl::string_view kInsert =
    "INSERT INTO schema_migrations(version, name, applied_at) VALUES(?, ?, ?)";

absl::Status CheckIncreasing(const std::vector<Migration>& migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return absl::FailedPreconditionError(absl::StrCat(
          "migration versions must be positive and strictly increasing: ",
          m.version, " (", m.name, ") follows ", previous));
    }
    previous = m.version;
  }
  return absl::OkStatus();
}

// Version -> name of every migration recorded in db.
absl::StatusOr<absl::flat_hash_map<int, std::string>> ReadApplied(
    Database& db) {
  absl::flat_hash_map<int, std::string> applied;
  RETURN_IF_ERROR(db.Transaction([&]() -> absl::Status {
    RETURN_IF_ERROR(db.Exec(kCreateTable));
    ASSIGN_OR_RETURN(Statement select, db.Prepare(kSelectApplied));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      applied[static_cast<int>(select.ColumnInt64(0))] = select.ColumnText(1);
    }
  }));
  return applied;
}

// Refuses a database that holds migrations this binary does not know, or
// knows under another name.
absl::Status CheckCompatible(
    const absl::flat_hash_map<int, std::string>& applied,
    const std::vector<Migration>& migrations) {
  absl::flat_hash_map<int, const Migration*> known;
  for (const Migration& m : migrations) known[m.version] = &m;
  const int newest_known = migrations.empty() ? 0 : migrations.back().version;
  int newest_unknown = 0;
  for (const auto& [version, name] : applied) {
    auto it = known.find(version);
    if (it == known.end()) {
      newest_unknown = std::max(newest_unknown, version);
    } else if (it->second->name != name) {
      return absl::FailedPreconditionError(absl::StrCat(
          "schema migration ", version, " is recorded as \"", name,
          "\" but this binary calls it \"", it->second->name, "\""));
    }
  }
  if (newest_unknown != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("database has schema migration ", newest_unknown, " (",
                     applied.at(newest_unknown),
                     ") which this binary does not know; its "
                     "newest is ",
                     newest_known, ": refusing to downgrade"));
  }
  return absl::OkStatus();
}

absl::Status Apply(Database& db, const Migration& m, const Clock& clock) {
  absl::Status status = db.Transaction([&]() -> absl::Status {
    // Another process may have applied it since ReadApplied.
    ASSIGN_OR_RETURN(Statement select, db.Prepare(kSelectOne));
    RETURN_IF_ERROR(select.BindAll(m.version));
    ASSIGN_OR_RETURN(bool recorded, select.Step());
    if (recorded) return absl::OkStatus();
    RETURN_IF_ERROR(db.Exec(m.sql));
    ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsert));
    RETURN_IF_ERROR(insert.BindAll(m.version, m.name, clock.Now()));
    return insert.Run().status();
  });
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat("schema migration ", m.version, " (", m.name,
                                   "): ", status.message()));
}

}  // namespace

absl::Status Migrate(Database& db, const std::vector<Migration>& migrations,
                     const Clock& clock) {
  RETURN_IF_ERROR(CheckIncreasing(migrations));
  ASSIGN_OR_RETURN(auto applied, ReadApplied(db));
  RETURN_IF_ERROR(CheckCompatible(applied, migrations));
  for (const Migration& m : migrations) {
    if (applied.contains(m.version)) continue;
    RETURN_IF_ERROR(Apply(db, m, clock));
  }
  return absl::OkStatus();
}

}  // namespace tocsin::store
