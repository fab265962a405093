// The chat core's durable consumer (kChatConsumer): incident.opened,
// incident.updated, incident.resolved and timeline.added, one stream
// (TOCSIN_INCIDENT) so they arrive in the order the incidents service wrote
// them. A queued post wakes the chat ticker.
#ifndef TOCSIN_SERVICES_PAGING_CHAT_CONSUMERS_H_
#define TOCSIN_SERVICES_PAGING_CHAT_CONSUMERS_H_

#include "libs/bus/event_bus.h"
#include "libs/service/consumers.h"
#include "libs/service/ticker.h"
#include "services/paging/chat_core.h"

namespace tocsin::paging {

bus::ConsumerOptions ChatConsumerOptions();

void AddChatConsumer(service::ConsumerRegistry& consumers, ChatCore* core,
                     service::Ticker* posts);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_CONSUMERS_H_
