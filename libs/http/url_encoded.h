// application/x-www-form-urlencoded: the fields of a query string or of a
// form body (an ack link's confirm form; later, provider callbacks such as
// Twilio's, whose signatures are computed over the sorted fields).
//
//   std::optional<std::string> page = UrlEncodedValue(request.query, "page");
//
// Fields are split on '&' and the first '='; names and values are decoded
// with libmicrohttpd's unescaping ('+' is a space, %XX a byte). Decoded bytes
// are returned as they are: callers that store or show them make them safe
// (libs/text). Pure and thread-safe.
#ifndef TOCSIN_LIBS_HTTP_URL_ENCODED_H_
#define TOCSIN_LIBS_HTTP_URL_ENCODED_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tocsin::http {

// Every field in order (a name may repeat; a field without '=' has an empty
// value; empty fields are skipped).
std::vector<std::pair<std::string, std::string>> ParseUrlEncoded(absl::string_view encoded);

// The first value of name, or nullopt when it is absent.
std::optional<std::string> UrlEncodedValue(absl::string_view encoded, absl::string_view name);

}  // namespace tocsin::http

#endif  // TOCSIN_LIBS_HTTP_URL_ENCODED_H_
