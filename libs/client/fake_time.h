// The one time the fake services of libs/client stamp on what they create
// (testonly), so a test can spell out the output it expects.
#ifndef TOCSIN_LIBS_CLIENT_FAKE_TIME_H_
#define TOCSIN_LIBS_CLIENT_FAKE_TIME_H_

#include <cstdint>

namespace tocsin::client {

// 2026-01-01T00:00:00Z, in seconds since the epoch. Creates are stamped with
// it, updates one minute later.
inline constexpr int64_t kFakeNowSeconds = 1767225600;

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_FAKE_TIME_H_
