// What an SMS or voice page says, whichever provider carries it (Twilio,
// the generic gateway). Pure and thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_PAGE_TEXT_H_
#define TOCSIN_SERVICES_PAGING_PAGE_TEXT_H_

#include <cstddef>
#include <string>

#include "proto/tocsin/paging/v1/paging.pb.h"

namespace tocsin::paging {

// Twilio's longest SMS body (characters; we count bytes, which is stricter).
inline constexpr size_t kMaxSmsBodyBytes = 1600;

// The SMS text of page: the incident title, its impact, the accept code and
// "reply with the code to acknowledge" (an activation page: the activation
// code and how to confirm it). Valid UTF-8, at most kMaxSmsBodyBytes.
std::string PageSmsText(const paging::v1::Page &page);

// What a voice page speaks, plain text (not escaped): the incident, its
// impact and "Press 1 to acknowledge." (an activation page: the activation
// code digit by digit, twice). Valid UTF-8, one line.
std::string PageVoicePrompt(const paging::v1::Page &page);

} // namespace tocsin::paging

#endif // TOCSIN_SERVICES_PAGING_PAGE_TEXT_H_
