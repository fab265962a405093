#include "services/escalation/contacts.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/text/email_address.h"

namespace tocsin::escalation {
namespace {

bool HasSpace(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return false;
}

absl::Status ValidateUrl(absl::string_view url) {
  absl::string_view rest;
  if (absl::StartsWith(url, "http://")) {
    rest = url.substr(7);
  } else if (absl::StartsWith(url, "https://")) {
    rest = url.substr(8);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "webhook URL \"", url, "\" must start with http:// or https://"));
  }
  if (rest.empty() || rest.front() == '/' || HasSpace(url) || url.size() > 2048) {
    return absl::InvalidArgumentError(absl::StrCat(
        "webhook URL \"", url, "\" is not valid: it needs a host and no spaces"));
  }
  return absl::OkStatus();
}

absl::Status ValidateChannel(const ContactChannel& channel) {
  switch (channel.destination_case()) {
    case ContactChannel::kEmail:
      if (absl::Status s = text::ValidateEmailAddress(channel.email().address()); !s.ok()) {
        return s;
      }
      break;
    case ContactChannel::kWebhook:
      if (absl::Status s = ValidateUrl(channel.webhook().url()); !s.ok()) return s;
      break;
    case ContactChannel::DESTINATION_NOT_SET:
      return absl::InvalidArgumentError("has no destination: set email or webhook");
  }
  if (channel.has_delay()) {
    const auto& d = channel.delay();
    if (d.seconds() < 0 || d.nanos() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "delay must not be negative, got ", d.seconds(), "s ", d.nanos(), "ns"));
    }
    if (d.nanos() > 999999999 || ChannelDelay(channel) > kMaxChannelDelay) {
      return absl::InvalidArgumentError(absl::StrCat(
          "delay must be at most ", absl::FormatDuration(kMaxChannelDelay), ", got ",
          d.seconds(), "s"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateName(absl::string_view what, absl::string_view name) {
  if (name.empty() || name.size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " name must be 1 to 128 characters, got ", name.size()));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
        c != '.') {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " name \"", name, "\" may contain only letters, digits, '-', '_' and '.'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateContact(const Contact& contact) {
  if (absl::Status s = ValidateName("contact", contact.name()); !s.ok()) return s;
  if (contact.channels().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "contact \"", contact.name(), "\" has no channels: add an email or webhook channel"));
  }
  absl::flat_hash_set<std::string> names;
  for (const ContactChannel& channel : contact.channels()) {
    if (absl::Status s = ValidateName("channel", channel.name()); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("contact \"", contact.name(), "\": ", s.message()));
    }
    if (!names.insert(channel.name()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "contact \"", contact.name(), "\": channel name \"", channel.name(),
          "\" is used twice; channel names must be unique within a contact"));
    }
    if (absl::Status s = ValidateChannel(channel); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "contact \"", contact.name(), "\": channel \"", channel.name(), "\" ", s.message()));
    }
  }
  return absl::OkStatus();
}

Contact ContactWithDefaults(Contact contact) {
  for (ContactChannel& channel : *contact.mutable_channels()) {
    if (!channel.has_delay()) {
      channel.mutable_delay()->set_seconds(absl::ToInt64Seconds(kDefaultChannelDelay));
    }
  }
  return contact;
}

absl::Duration ChannelDelay(const ContactChannel& channel) {
  if (!channel.has_delay()) return kDefaultChannelDelay;
  return absl::Seconds(channel.delay().seconds()) + absl::Nanoseconds(channel.delay().nanos());
}

}  // namespace tocsin::escalation
