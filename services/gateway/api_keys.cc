#include "services/gateway/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tocsin::gateway {
namespace {

constexpr char kHashPrefix[] = "sha256:";
constexpr size_t kMaxNameLength = 128;
constexpr char kLineFormat[] = "\"<name> sha256:<64 lowercase hex digits>\"";

std::array<unsigned char, 32> Sha256(absl::string_view data) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(),
                 nullptr) != 1 ||
      length != digest.size()) {
    // Only a broken OpenSSL installation gets here; an all-zero digest would
    // silently weaken authentication, so stop.
    std::fprintf(stderr, "FATAL: OpenSSL SHA-256 failed\n");
    std::abort();
  }
  return digest;
}

bool IsLowerHex(absl::string_view text) {
  for (const char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        (c < 'a' || c > 'f')) {
      return false;
    }
  }
  return true;
}

bool IsKeyName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_' && c != '.' && c != '@') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<ApiKeyStore> ApiKeyStore::LoadFromFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat("cannot open API key file ", path));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat("cannot read API key file ", path));
  }
  absl::StatusOr<ApiKeyStore> store = FromLines(contents.str());
  if (!store.ok()) {
    return absl::Status(store.status().code(),
                        absl::StrCat(path, ": ", store.status().message()));
  }
  return store;
}

absl::StatusOr<ApiKeyStore> ApiKeyStore::FromLines(absl::string_view contents) {
  std::vector<Key> keys;
  std::vector<size_t> key_lines;
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": expected ", kLineFormat,
                       ", found ", fields.size(), " field(s)"));
    }
    if (!IsKeyName(fields[0])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_number, ": the name must be 1 to ", kMaxNameLength,
          " letters, digits, '-', '_', '.' or '@'"));
    }
    absl::string_view hex = fields[1];
    if (!absl::ConsumePrefix(&hex, kHashPrefix) || hex.size() != 64 ||
        !IsLowerHex(hex)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_number, ": expected ", kLineFormat,
          "; the second field must be a hash made by HashApiKey, not the key "
          "itself"));
    }
    Key key{std::string(fields[0]), {}};
    const std::string bytes = absl::HexStringToBytes(hex);
    std::memcpy(key.digest.data(), bytes.data(), key.digest.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].digest == key.digest) {
        return absl::InvalidArgumentError(absl::StrCat(
            "line ", line_number, ": the same key hash is already on line ",
            key_lines[i]));
      }
    }
    keys.push_back(std::move(key));
    key_lines.push_back(line_number);
  }
  return ApiKeyStore(std::move(keys));
}

std::optional<std::string> ApiKeyStore::Authenticate(
    absl::string_view presented_key) const {
  if (presented_key.size() < kMinApiKeyLength) return std::nullopt;
  const std::array<unsigned char, 32> digest = Sha256(presented_key);
  // Every stored key is compared, so the time taken does not tell which
  // (or whether one) matched.
  const Key* match = nullptr;
  for (const Key& key : keys_) {
    if (CRYPTO_memcmp(key.digest.data(), digest.data(), digest.size()) == 0) {
      match = &key;
    }
  }
  if (match == nullptr) return std::nullopt;
  return match->name;
}

std::string HashApiKey(absl::string_view key) {
  const std::array<unsigned char, 32> digest = Sha256(key);
  return absl::StrCat(
      kHashPrefix,
      absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(digest.data()), digest.size())));
}

std::string GenerateApiKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    std::fprintf(stderr, "FATAL: OpenSSL RAND_bytes failed\n");
    std::abort();
  }
  return absl::StrCat(
      "tsk_", absl::WebSafeBase64Escape(absl::string_view(
                  reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

}  // namespace tocsin::gateway
