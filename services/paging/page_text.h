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
// A page that carries a digest (page.digest() of 2 or more, core.h: rate
// limits) lists each page held back: "Tocsin: 3 pages held back by the rate
// limit. 1) Database down (impact 1) code 12345678. 2) ... Reply with a
// page's code to acknowledge it." (titles cut to fit).
std::string PageSmsText(const paging::v1::Page &page);

// What a voice page speaks, plain text (not escaped): the incident, its
// impact and "Press 1 to acknowledge." (an activation page: the activation
// code digit by digit, twice). Valid UTF-8, one line. A digest names each
// incident; pressing 1 acknowledges the page that carries it (the others
// by their codes or links).
std::string PageVoicePrompt(const paging::v1::Page &page);

} // namespace tocsin::paging

#endif // TOCSIN_SERVICES_PAGING_PAGE_TEXT_H_
