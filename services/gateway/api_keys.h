// API keys for the gateway's ingestion endpoints, stored hashed.
//
// The key file holds one key a line, "<name> sha256:<64 lowercase hex>", where
// the hash is HashApiKey(key); blank lines and lines starting with '#' are
// ignored. A name is 1 to 128 letters, digits, '-', '_', '.' or '@'; names may
// repeat (two keys for one sender while rotating), hashes may not. The raw
// key is shown once, when GenerateApiKey() makes it, and is never stored.
//
//   ASSIGN_OR_RETURN(ApiKeyStore keys, ApiKeyStore::LoadFromFile(path));
//   std::optional<std::string> caller = keys.Authenticate(presented_key);
//   if (!caller.has_value()) { ... answer 401 ... }
#ifndef TOCSIN_SERVICES_GATEWAY_API_KEYS_H_
#define TOCSIN_SERVICES_GATEWAY_API_KEYS_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tocsin::gateway {

// Keys shorter than this never authenticate.
inline constexpr size_t kMinApiKeyLength = 16;

class ApiKeyStore {
 public:
  // Reads a key file. NotFound / PermissionDenied / ... when it cannot be
  // read; InvalidArgument naming the path and line number when a line is
  // malformed (the line itself is never quoted: it may hold a pasted key).
  static absl::StatusOr<ApiKeyStore> LoadFromFile(const std::string& path);
  // Parses key file contents, as LoadFromFile does.
  static absl::StatusOr<ApiKeyStore> FromLines(absl::string_view contents);

  // The name of the key that matches, or nullopt. Compares SHA-256 digests in
  // constant time, against every stored key.
  std::optional<std::string> Authenticate(
      absl::string_view presented_key) const;

  // Number of keys loaded.
  size_t size() const { return keys_.size(); }

 private:
  struct Key {
    std::string name;
    std::array<unsigned char, 32> digest;
  };

  explicit ApiKeyStore(std::vector<Key> keys) : keys_(std::move(keys)) {}

  std::vector<Key> keys_;
};

// "sha256:" followed by the key's SHA-256 digest in lowercase hex: the form
// the key file stores.
std::string HashApiKey(absl::string_view key);

// A new key: "tsk_" followed by 32 random bytes (OpenSSL RAND_bytes) in
// unpadded base64url, 47 characters in all. Aborts the process if the random
// generator fails, rather than hand out a guessable key.
std::string GenerateApiKey();

}  // namespace tocsin::gateway

#endif  // TOCSIN_SERVICES_GATEWAY_API_KEYS_H_
