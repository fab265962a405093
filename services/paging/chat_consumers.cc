#include "services/paging/chat_consumers.h"

#include "libs/events/types.h"

namespace tocsin::paging {

bus::ConsumerOptions ChatConsumerOptions() {
  bus::ConsumerOptions options;
  options.durable_name = kChatConsumer;
  options.types = {events::kIncidentOpened.name, events::kIncidentUpdated.name,
                   events::kIncidentResolved.name, events::kTimelineAdded.name};
  options.max_failures = 10;
  options.ack_wait = absl::Seconds(30);
  options.nak_delay = absl::Seconds(2);
  return options;
}

void AddChatConsumer(service::ConsumerRegistry& consumers, ChatCore* core,
                     service::Ticker* posts) {
  consumers.AddConsumer(ChatConsumerOptions(), [core, posts](const bus::Envelope& e) {
    absl::Status handled = core->HandleEvent(e);
    if (handled.ok()) posts->Wake();
    return handled;
  });
}

}  // namespace tocsin::paging
