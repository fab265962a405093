// Status propagation macros (Abseil 20220623 ships none).
//
//   RETURN_IF_ERROR(store->Put(x));
//   ASSIGN_OR_RETURN(auto row, store->Get(id));
#ifndef TOCSIN_LIBS_STATUS_STATUS_MACROS_H_
#define TOCSIN_LIBS_STATUS_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TOCSIN_CONCAT_INNER_(a, b) a##b
#define TOCSIN_CONCAT_(a, b) TOCSIN_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                     \
  do {                                            \
    ::absl::Status tocsin_status_ = (expr);       \
    if (!tocsin_status_.ok()) return tocsin_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  TOCSIN_ASSIGN_OR_RETURN_IMPL_(TOCSIN_CONCAT_(tocsin_statusor_, __LINE__), lhs, expr)

#define TOCSIN_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // TOCSIN_LIBS_STATUS_STATUS_MACROS_H_
