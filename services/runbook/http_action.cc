#include "services/runbook/http_action.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/http/http_client.h"
#include "libs/http/redact.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;

absl::StatusOr<std::vector<int>> ExpectedStatuses(const Json& inputs, const ValueMap& values) {
  std::vector<int> expected;
  if (!inputs.contains("ExpectedStatus")) return expected;
  ASSIGN_OR_RETURN(Json value, SubstituteJson(inputs["ExpectedStatus"], values));
  const Json list = value.is_array() ? value : Json::array({value});
  for (const Json& status : list) {
    int64_t code = 0;
    if (status.is_number_integer()) {
      code = status.get<int64_t>();
    } else if (!(status.is_string() &&
                 absl::SimpleAtoi(status.get_ref<const std::string&>(), &code))) {
      code = -1;
    }
    if (code < 100 || code > 599) {
      return absl::InvalidArgumentError(
          absl::StrCat("ExpectedStatus ", status.dump(-1, ' ', false,
                                                      Json::error_handler_t::replace),
                       " must be an HTTP status 100..599 (or a list of them)"));
    }
    expected.push_back(static_cast<int>(code));
  }
  if (expected.empty()) return absl::InvalidArgumentError("ExpectedStatus is empty");
  return expected;
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& headers,
               absl::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return absl::EqualsIgnoreCase(header.first, name); });
}

}  // namespace

absl::StatusOr<Json> RunHttpAction(const Json& inputs, const ValueMap& values,
                                   const HttpActionOptions& options) {
  if (!inputs.is_object()) return absl::InvalidArgumentError("inputs must be a mapping");
  http::HttpClientRequest request;
  if (inputs.contains("Method")) {
    const Json& method = inputs["Method"];
    static const auto* const kMethods =
        new std::vector<std::string>{"GET", "POST", "PUT", "PATCH", "DELETE"};
    if (!method.is_string() ||
        std::find(kMethods->begin(), kMethods->end(), method.get<std::string>()) ==
            kMethods->end()) {
      return absl::InvalidArgumentError("Method must be GET, POST, PUT, PATCH or DELETE");
    }
    request.method = method.get<std::string>();
  }
  if (!inputs.contains("Url") || !inputs["Url"].is_string()) {
    return absl::InvalidArgumentError("Url must be a string");
  }
  ASSIGN_OR_RETURN(request.url, SubstituteText(inputs["Url"].get<std::string>(), values));
  if (!absl::StartsWith(request.url, "http://") && !absl::StartsWith(request.url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Url ", http::RedactUrl(request.url), " must start with http:// or https://"));
  }
  ASSIGN_OR_RETURN(request.headers,
                   SubstituteHeaders(inputs.contains("Headers") ? inputs["Headers"] : Json(),
                                     values, options.secrets_dir));
  if (inputs.contains("Body")) {
    bool is_json = false;
    ASSIGN_OR_RETURN(request.body, SubstituteBody(inputs["Body"], values, &is_json));
    if (is_json && !HasHeader(request.headers, "Content-Type")) {
      request.headers.emplace_back("Content-Type", "application/json");
    }
  }
  ASSIGN_OR_RETURN(std::vector<int> expected, ExpectedStatuses(inputs, values));
  request.timeout = options.timeout;
  request.connect_timeout = std::min(options.timeout, absl::Seconds(5));
  request.max_response_bytes = options.max_response_bytes;

  http::HttpClient client;
  absl::StatusOr<http::HttpClientResponse> sent = client.Send(request);
  if (!sent.ok()) {
    // HttpClient redacts the URL already; redact again in case the message quotes it raw.
    return absl::Status(sent.status().code(),
                        http::RedactUrlIn(sent.status().message(), request.url));
  }
  const http::HttpClientResponse& response = *sent;

  const bool status_ok =
      expected.empty() ? (response.status >= 200 && response.status < 300)
                       : std::find(expected.begin(), expected.end(), response.status) !=
                             expected.end();
  if (!status_ok) {
    const std::string wanted =
        expected.empty() ? "2xx" : absl::StrJoin(expected, " or ");
    const std::string message =
        absl::StrCat("HTTP ", response.status, " (expected ", wanted, "): ",
                     http::RedactUrlsIn(text::UntrustedLine(response.body, kHttpErrorBodyBytes)));
    if (response.status >= 500 || response.status == 429) {
      return absl::UnavailableError(message);
    }
    return absl::FailedPreconditionError(message);
  }

  // nlohmann's parser refuses invalid UTF-8, so a parsed body always serializes.
  Json body = Json::value_t::discarded;
  if (!response.truncated && !response.body.empty()) {
    body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  }
  if (body.is_discarded()) body = text::MakeValidUtf8(response.body);
  return Json{{"status", response.status}, {"body", std::move(body)},
              {"truncated", response.truncated}};
}

}  // namespace tocsin::runbook
