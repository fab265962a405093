#include "libs/bus/fit.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/unknown_field_set.h"
#include "libs/text/text.h"

namespace tocsin::bus {
namespace {

namespace pb = ::google::protobuf;

// Deeper messages are kept as they are (protobuf's own recursion limit).
constexpr int kMaxDepth = 100;

// A message as on the wire, with the nested messages its descriptor names
// parsed too, so their strings can be changed and the whole serialized again.
struct WireMessage {
  pb::UnknownFieldSet fields;
  // (index in fields, that field's bytes parsed as a message).
  std::vector<std::pair<int, std::unique_ptr<WireMessage>>> children;
};

// A string field that may be cut: where it lives and its repaired value.
struct Slot {
  std::string* value;
  std::string original;
};

void RepairUtf8(std::string& value) {
  if (!text::IsValidUtf8(value)) value = text::MakeValidUtf8(value);
}

// Repairs the UTF-8 of message's string fields, recursively, and collects
// those that may be cut.
void Walk(WireMessage& message, const pb::Descriptor& descriptor, int depth,
          std::vector<Slot>& slots) {
  for (int i = 0; i < message.fields.field_count(); ++i) {
    pb::UnknownField* field = message.fields.mutable_field(i);
    if (field->type() != pb::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const pb::FieldDescriptor* field_descriptor =
        descriptor.FindFieldByNumber(field->number());
    if (field_descriptor == nullptr) continue;  // unknown to this binary
    if (field_descriptor->type() == pb::FieldDescriptor::TYPE_STRING) {
      std::string* value = field->mutable_length_delimited();
      RepairUtf8(*value);
      const bool map_key =
          descriptor.options().map_entry() && field_descriptor->number() == 1;
      if (!map_key) slots.push_back({value, *value});
    } else if (field_descriptor->type() == pb::FieldDescriptor::TYPE_MESSAGE &&
               depth < kMaxDepth) {
      auto child = std::make_unique<WireMessage>();
      if (child->fields.ParseFromString(field->length_delimited())) {
        Walk(*child, *field_descriptor->message_type(), depth + 1, slots);
        message.children.emplace_back(i, std::move(child));
      }
    }
  }
}

std::string Serialize(WireMessage& message) {
  for (auto& [index, child] : message.children) {
    *message.fields.mutable_field(index)->mutable_length_delimited() =
        Serialize(*child);
  }
  std::string bytes;
  message.fields.SerializeToString(&bytes);
  return bytes;
}

std::string Describe(const Envelope& envelope) {
  return absl::StrCat("event ", envelope.event_id(), " of type ",
                      envelope.type());
}

}  // namespace

absl::Status FitToSize(Envelope& envelope, size_t max_bytes) {
  for (std::string* value :
       {envelope.mutable_event_id(), envelope.mutable_type(),
        envelope.mutable_source(), envelope.mutable_incident_id(),
        envelope.mutable_causation_id()}) {
    RepairUtf8(*value);
  }
  if (!envelope.has_payload()) {
    const size_t size = envelope.ByteSizeLong();
    if (size <= max_bytes) return absl::OkStatus();
    return absl::ResourceExhaustedError(absl::StrCat(
        Describe(envelope), " is ", size, " bytes without a payload: ",
        size - max_bytes, " bytes over the limit of ", max_bytes));
  }
  RepairUtf8(*envelope.mutable_payload()->mutable_type_url());
  const std::string& type_url = envelope.payload().type_url();
  const std::string type_name = type_url.substr(type_url.rfind('/') + 1);
  const pb::Descriptor* descriptor =
      pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type_name);
  if (descriptor == nullptr) {
    const size_t size = envelope.ByteSizeLong();
    if (size <= max_bytes) return absl::OkStatus();
    return absl::ResourceExhaustedError(absl::StrCat(
        Describe(envelope), " is ", size, " bytes, ", size - max_bytes,
        " bytes over the limit of ", max_bytes, ", and its payload type \"",
        type_name, "\" is unknown here, so it cannot be cut"));
  }
  WireMessage root;
  if (!root.fields.ParseFromString(envelope.payload().value())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the payload of ", Describe(envelope), " is not a ", type_name));
  }
  std::vector<Slot> slots;
  Walk(root, *descriptor, 0, slots);

  // The envelope's size with every cuttable string cut to at most level.
  auto size_at = [&](size_t level) {
    for (Slot& slot : slots) {
      *slot.value = slot.original.size() > level
                        ? text::Truncate(slot.original, level)
                        : slot.original;
    }
    envelope.mutable_payload()->set_value(Serialize(root));
    return envelope.ByteSizeLong();
  };
  size_t longest = 0;
  for (const Slot& slot : slots) longest = std::max(longest, slot.original.size());
  const size_t whole = size_at(longest);
  if (whole > max_bytes) {
    const size_t emptied = size_at(0);
    if (emptied > max_bytes) {
      size_at(longest);
      return absl::ResourceExhaustedError(absl::StrCat(
          Describe(envelope), " is ", whole, " bytes, still ", emptied,
          " with every string of its payload emptied: ", emptied - max_bytes,
          " bytes over the limit of ", max_bytes));
    }
    // It fits at fits_at and not at too_long: halve the gap.
    size_t fits_at = 0;
    size_t too_long = longest;
    while (too_long - fits_at > 1) {
      const size_t middle = fits_at + (too_long - fits_at) / 2;
      (size_at(middle) <= max_bytes ? fits_at : too_long) = middle;
    }
    size_at(fits_at);
  }

  std::unique_ptr<pb::Message> parsed(
      pb::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
  if (!parsed->ParseFromString(envelope.payload().value())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the payload of ", Describe(envelope), " does not parse as ",
        type_name, " even with its strings made valid UTF-8"));
  }
  return absl::OkStatus();
}

}  // namespace tocsin::bus
