#include "libs/bus/jetstream_bus.h"

#include <nats/nats.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "libs/log/log.h"
#include "libs/status/retry.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"

namespace tocsin::bus {
namespace {

// How long one fetch waits for a message: the longest a Subscription's
// destructor waits for an idle fetch loop.
constexpr absl::Duration kFetchTimeout = absl::Milliseconds(250);
// Pause before fetching again after a failed fetch (e.g. while reconnecting).
constexpr absl::Duration kFetchRetryPause = absl::Milliseconds(250);
// Longest error text carried in kErrorHeader.
constexpr size_t kMaxErrorHeaderLength = 1024;
// What a NATS header block adds to a message: "NATS/1.0\r\n", one
// "key: value\r\n" per header, "\r\n".
constexpr size_t kHeaderBlockOverhead = 12;
constexpr size_t kHeaderLineOverhead = 4;
// The header JetStream publishes carry the de-duplication key in.
constexpr char kMsgIdHeader[] = "Nats-Msg-Id";

int64_t Millis(absl::Duration d) { return absl::ToInt64Milliseconds(d); }
int64_t Nanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

// The status text plus the calling thread's last NATS error, which often
// says more ("no server available for connection", a JetStream API error).
std::string Describe(natsStatus status) {
  std::string text = natsStatus_GetText(status);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && !absl::StrContains(last, text)) {
    absl::StrAppend(&text, " (", last, ")");
  }
  return text;
}

// Maps a NATS failure to the code that tells the caller what to do.
absl::Status ToStatus(natsStatus status, jsErrCode js_error,
                      absl::string_view context) {
  std::string message = absl::StrCat(context, ": ", Describe(status));
  if (js_error != 0) absl::StrAppend(&message, " [JetStream error ", js_error, "]");
  switch (status) {
    case NATS_TIMEOUT:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NO_SERVER:
    case NATS_STALE_CONNECTION:
    case NATS_IO_ERROR:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_NO_RESPONDERS:
    case NATS_NOT_YET_CONNECTED:
    case NATS_DRAINING:
      return absl::UnavailableError(message);
    case NATS_CONNECTION_AUTH_FAILED:
      return absl::UnauthenticatedError(message);
    case NATS_NOT_PERMITTED:
      return absl::PermissionDeniedError(message);
    case NATS_MAX_PAYLOAD:
      return absl::InvalidArgumentError(absl::StrCat(
          message, " (larger than the NATS server's max_payload)"));
    case NATS_SSL_ERROR:
    case NATS_SECURE_CONNECTION_WANTED:
    case NATS_SECURE_CONNECTION_REQUIRED:
      return absl::FailedPreconditionError(message);
    default:
      return js_error != 0 ? absl::FailedPreconditionError(message)
                           : absl::InternalError(message);
  }
}

// Header values are one line of valid UTF-8.
std::string HeaderValue(absl::string_view text) {
  return text::UntrustedLine(text, kMaxErrorHeaderLength);
}

void OnDisconnected(natsConnection* nc, void* /*closure*/) {
  if (!natsConnection_IsClosed(nc)) {
    log::Warn("NATS connection lost; reconnecting");
  }
}

void OnReconnected(natsConnection* nc, void* /*closure*/) {
  char url[256] = "";
  natsConnection_GetConnectedUrl(nc, url, sizeof(url));
  log::Info("NATS connection restored", {{"url", url}});
}

}  // namespace

class JetStreamConnection {
 public:
  JetStreamConnection(natsConnection* nc, jsCtx* js,
                      const JetStreamBusOptions& options)
      : nc_(nc),
        js_(js),
        publish_timeout_(options.publish_timeout),
        duplicate_window_(options.duplicate_window),
        replicas_(options.replicas),
        stream_max_age_(options.stream_max_age),
        stream_max_bytes_(options.stream_max_bytes) {}

  JetStreamConnection(const JetStreamConnection&) = delete;
  JetStreamConnection& operator=(const JetStreamConnection&) = delete;

  ~JetStreamConnection() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }

  jsCtx* js() const { return js_; }

  // Creates the stream, with the limits, unless it exists; an existing stream
  // must store spec.subjects and is otherwise left alone.
  absl::Status EnsureStream(const StreamSpec& spec) const {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char* subjects[] = {spec.subjects.c_str()};
    config.Name = spec.name.c_str();
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Duplicates = Nanos(duplicate_window_);
    config.Replicas = replicas_;
    config.MaxAge = stream_max_age_ > absl::ZeroDuration() ? Nanos(stream_max_age_) : 0;
    config.MaxBytes = stream_max_bytes_ > 0 ? stream_max_bytes_ : -1;
    config.Discard = js_DiscardOld;
    jsStreamInfo* info = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus status = js_AddStream(&info, js_, &config, nullptr, &js_error);
    if (status == NATS_OK) {
      jsStreamInfo_Destroy(info);
      return absl::OkStatus();
    }
    if (js_error != JSStreamNameExistErr) {
      return ToStatus(status, js_error,
                      absl::StrCat("creating stream ", spec.name, " on \"",
                                   spec.subjects, "\""));
    }
    // It exists with another configuration.
    status = js_GetStreamInfo(&info, js_, spec.name.c_str(), nullptr, &js_error);
    if (status != NATS_OK) {
      return ToStatus(status, js_error,
                      absl::StrCat("reading stream ", spec.name));
    }
    bool stores_subjects = false;
    std::vector<std::string> existing;
    for (int i = 0; i < info->Config->SubjectsLen; ++i) {
      existing.emplace_back(info->Config->Subjects[i]);
      stores_subjects = stores_subjects || existing.back() == spec.subjects;
    }
    jsStreamInfo_Destroy(info);
    if (!stores_subjects) {
      return absl::FailedPreconditionError(absl::StrCat(
          "stream ", spec.name, " exists but stores [", absl::StrJoin(existing, ", "),
          "], not \"", spec.subjects, "\""));
    }
    return absl::OkStatus();
  }

  // Creates or updates the durable pull consumer. MaxDeliver is unlimited on
  // the server: the subscription counts deliveries (see the header).
  absl::Status EnsureConsumer(const std::string& stream,
                              const ConsumerOptions& options,
                              const std::string& filter) const {
    jsConsumerConfig config;
    jsConsumerConfig_Init(&config);
    config.Durable = options.durable_name.c_str();
    config.DeliverPolicy = js_DeliverAll;
    config.AckPolicy = js_AckExplicit;
    config.AckWait = Nanos(options.ack_wait);
    config.MaxDeliver = -1;
    config.FilterSubject = filter.c_str();
    jsConsumerInfo* info = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus status =
        js_AddConsumer(&info, js_, stream.c_str(), &config, nullptr, &js_error);
    jsConsumerInfo_Destroy(info);
    if (status != NATS_OK) {
      return ToStatus(status, js_error,
                      absl::StrCat("creating or updating durable consumer ",
                                   options.durable_name, " on stream ", stream,
                                   " with filter \"", filter, "\""));
    }
    return absl::OkStatus();
  }

  // Publishes and waits for the stream's acknowledgement. msg_id is the
  // de-duplication key; what names the message in errors ("event X of type
  // T").
  absl::Status Publish(
      const std::string& subject, const void* data, int len,
      const std::string& msg_id,
      const std::vector<std::pair<const char*, std::string>>& headers,
      const std::string& what) const {
    // While reconnecting, the client would buffer the message and wait out
    // the whole timeout for an ack; say so at once instead.
    if (natsConnection_Status(nc_) != NATS_CONN_STATUS_CONNECTED) {
      return absl::UnavailableError(absl::StrCat(
          "publishing ", msg_id, " to ", subject,
          ": not connected to NATS (reconnecting)"));
    }
    // The server closes the connection of a client that sends more than its
    // max_payload: refuse here, as the permanent error it is.
    const int64_t max_payload = natsConnection_GetMaxPayload(nc_);
    size_t header_bytes = kHeaderBlockOverhead + kHeaderLineOverhead +
                          strlen(kMsgIdHeader) + msg_id.size();
    for (const auto& [key, value] : headers) {
      header_bytes += kHeaderLineOverhead + strlen(key) + value.size();
    }
    if (max_payload > 0 &&
        static_cast<int64_t>(len + header_bytes) > max_payload) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " is ", len, " bytes (", len + header_bytes,
          " with headers); the NATS server accepts at most ", max_payload,
          " (max_payload)"));
    }
    natsMsg* msg = nullptr;
    natsStatus status = natsMsg_Create(&msg, subject.c_str(), nullptr,
                                       static_cast<const char*>(data), len);
    for (const auto& [key, value] : headers) {
      if (status == NATS_OK) status = natsMsgHeader_Set(msg, key, value.c_str());
    }
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MsgId = msg_id.c_str();
    options.MaxWait = Millis(publish_timeout_);
    jsPubAck* ack = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    if (status == NATS_OK) {
      status = js_PublishMsg(&ack, js_, msg, &options, &js_error);
    }
    jsPubAck_Destroy(ack);
    natsMsg_Destroy(msg);
    if (status == NATS_NO_RESPONDERS) {
      return absl::UnavailableError(absl::StrCat(
          "publishing ", msg_id, ": no JetStream stream stores \"", subject,
          "\" (is the server running with JetStream, and the domain's stream "
          "created?)"));
    }
    if (status != NATS_OK) {
      return ToStatus(status, js_error,
                      absl::StrCat("publishing ", msg_id, " to ", subject));
    }
    return absl::OkStatus();
  }

 private:
  natsConnection* const nc_;
  jsCtx* const js_;
  const absl::Duration publish_timeout_;
  const absl::Duration duplicate_window_;
  const int replicas_;
  const absl::Duration stream_max_age_;
  const int64_t stream_max_bytes_;
};

namespace {

class JetStreamSubscription : public Subscription {
 public:
  // wanted: the subjects of options.types; a message on another subject of
  // the filter is acked and skipped.
  JetStreamSubscription(std::shared_ptr<JetStreamConnection> connection,
                        natsSubscription* sub, ConsumerOptions options,
                        Handler handler,
                        absl::flat_hash_set<std::string> wanted)
      : connection_(std::move(connection)),
        sub_(sub),
        options_(std::move(options)),
        handler_(std::move(handler)),
        wanted_(std::move(wanted)),
        thread_([this] { Run(); }) {}

  ~JetStreamSubscription() override {
    stop_.Notify();
    thread_.join();
    // Destroy, never Unsubscribe: the durable consumer stays on the server.
    natsSubscription_Destroy(sub_);
  }

 private:
  // A message's permanent failures so far.
  struct Failures {
    int count = 0;
    std::string last_error;
  };

  void Run() {
    bool failing = false;
    while (!stop_.HasBeenNotified()) {
      natsMsgList list = {};
      jsErrCode js_error = static_cast<jsErrCode>(0);
      // One message a fetch, so stopping never leaves fetched messages
      // unhandled (they would wait out ack_wait before redelivery).
      natsStatus status =
          natsSubscription_Fetch(&list, sub_, 1, Millis(kFetchTimeout), &js_error);
      if (status == NATS_OK) {
        if (failing) {
          log::Info("consumer fetching again", {{"consumer", options_.durable_name}});
          failing = false;
        }
        for (int i = 0; i < list.Count; ++i) Handle(list.Msgs[i]);
        natsMsgList_Destroy(&list);
      } else if (status != NATS_TIMEOUT) {
        if (!failing) {
          log::Warn("consumer fetch failed; retrying",
                    {{"consumer", options_.durable_name},
                     {"error", ErrorLine(ToStatus(status, js_error, "fetch"))}});
          failing = true;
        }
        stop_.WaitForNotificationWithTimeout(kFetchRetryPause);
      }
    }
  }

  void Handle(natsMsg* msg) {
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
      // Only a JetStream delivery has metadata; nothing to ack otherwise.
      log::Warn("consumer ignores a message without JetStream metadata",
                {{"consumer", options_.durable_name}});
      return;
    }
    const int64_t deliveries = static_cast<int64_t>(meta->NumDelivered);
    const uint64_t sequence = meta->Sequence.Stream;
    const std::string id =
        absl::StrCat(options_.durable_name, ":", meta->Stream, ":", sequence);
    jsMsgMetaData_Destroy(meta);
    const std::string subject = natsMsg_GetSubject(msg);
    Delivery delivery{Delivery::Outcome::kApplied, deliveries,
                      TypeOfSubject(subject)};
    delivery.outcome = Decide(msg, sequence, id, subject, deliveries, delivery.type);
    if (options_.on_outcome) {
      try {
        options_.on_outcome(delivery);
      } catch (const std::exception& e) {
        log::Error("consumer's on_outcome threw an exception",
                   {{"consumer", options_.durable_name},
                    {"error", text::UntrustedLine(e.what(), text::kMaxDetailBytes)}});
      }
    }
  }

  // Acks, naks or dead-letters msg; sets type to the envelope's.
  Delivery::Outcome Decide(natsMsg* msg, uint64_t sequence, const std::string& id,
                           const std::string& subject, int64_t deliveries,
                           std::string& type) {
    if (!wanted_.contains(subject)) {
      Ack(msg, id);
      return Delivery::Outcome::kSkipped;
    }
    absl::StatusOr<Envelope> envelope =
        ParseEnvelope(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    if (!envelope.ok()) {
      return Bury(msg, sequence, id, subject, deliveries, std::nullopt,
                  ErrorLine(envelope.status()));
    }
    type = envelope->type();
    // Its dead-lettering failed: it only goes to the dead letter again.
    if (auto known = failures_.find(sequence);
        known != failures_.end() && known->second.count >= options_.max_failures) {
      return Bury(msg, sequence, id, subject, deliveries, *std::move(envelope),
                  known->second.last_error);
    }
    absl::Status handled = CallHandler(handler_, *envelope);
    if (handled.ok()) {
      Ack(msg, id);
      failures_.erase(sequence);
      return Delivery::Outcome::kApplied;
    }
    if (IsTransient(handled)) {
      Nak(msg, id, RetryDelay(options_, deliveries));
      return Delivery::Outcome::kRetryTransient;
    }
    Failures& failures = Track(sequence);
    ++failures.count;
    failures.last_error = ErrorLine(handled);
    if (failures.count >= options_.max_failures) {
      return Bury(msg, sequence, id, subject, deliveries, *std::move(envelope),
                  failures.last_error);
    }
    Nak(msg, id, options_.nak_delay);
    return Delivery::Outcome::kRetryPermanent;
  }

  // The failure count of the message at sequence, making room if need be.
  Failures& Track(uint64_t sequence) {
    if (failures_.count(sequence) == 0 && failures_.size() >= kMaxTrackedMessages) {
      failures_.erase(failures_.begin());
    }
    return failures_[sequence];
  }

  void Ack(natsMsg* msg, const std::string& id) {
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus status = natsMsg_AckSync(msg, nullptr, &js_error);
    if (status != NATS_OK) {
      log::Warn("consumer's ack failed; the message will be redelivered",
                {{"consumer", options_.durable_name},
                 {"message_id", id},
                 {"error", ErrorLine(ToStatus(status, js_error, "ack"))}});
    }
  }

  void Nak(natsMsg* msg, const std::string& id, absl::Duration delay) {
    natsStatus status = natsMsg_NakWithDelay(msg, Millis(delay), nullptr);
    if (status != NATS_OK) {
      log::Warn("consumer's nak failed; the message comes back after ack_wait",
                {{"consumer", options_.durable_name},
                 {"message_id", id},
                 {"error", ErrorLine(ToStatus(status, static_cast<jsErrCode>(0),
                                              "nak"))}});
    }
  }

  // Hands the message to the dead_letter hook, or publishes its body to the
  // dead-letter subject; then terminates it. If that fails, the message is
  // nak'ed and remembered, so it comes back to the dead letter only.
  Delivery::Outcome Bury(natsMsg* msg, uint64_t sequence, const std::string& id,
                         const std::string& subject, int64_t deliveries,
                         std::optional<Envelope> envelope, const std::string& error) {
    absl::Status kept;
    if (options_.dead_letter) {
      DeadLetter dead_letter{
          options_.durable_name,
          subject,
          id,
          std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)),
          std::move(envelope),
          error,
          deliveries};
      try {
        kept = options_.dead_letter(dead_letter);
      } catch (const std::exception& e) {
        kept = absl::InternalError(
            absl::StrCat("dead_letter hook threw an exception: ", e.what()));
      }
    } else {
      kept = connection_->Publish(
          DeadLetterSubject(options_.durable_name), natsMsg_GetData(msg),
          natsMsg_GetDataLength(msg), id,
          {{kErrorHeader, HeaderValue(error)},
           {kSubjectHeader, HeaderValue(subject)},
           {kDeliveriesHeader, absl::StrCat(deliveries)}},
          absl::StrCat("dead letter ", id));
    }
    if (!kept.ok()) {
      log::Warn("consumer could not dead-letter a message; retrying",
                {{"consumer", options_.durable_name},
                 {"message_id", id},
                 {"subject", subject},
                 {"error", ErrorLine(kept)}});
      Failures& failures = Track(sequence);
      failures.count = std::max(failures.count, options_.max_failures);
      failures.last_error = error;
      Nak(msg, id, RetryDelay(options_, deliveries));
      return Delivery::Outcome::kRetryTransient;
    }
    log::Warn("consumer dead-lettered a message",
              {{"consumer", options_.durable_name},
               {"message_id", id},
               {"subject", subject},
               {"deliveries", absl::StrCat(deliveries)},
               {"error", error}});
    natsMsg_Term(msg, nullptr);
    failures_.erase(sequence);
    return Delivery::Outcome::kDeadLettered;
  }

  const std::shared_ptr<JetStreamConnection> connection_;
  natsSubscription* const sub_;
  const ConsumerOptions options_;
  const Handler handler_;
  const absl::flat_hash_set<std::string> wanted_;
  // Stream sequence -> permanent failures of messages not finished yet
  // (oldest first); touched by thread_ only.
  std::map<uint64_t, Failures> failures_;
  absl::Notification stop_;
  // Last: starts once everything above is set.
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<JetStreamBus>> JetStreamBus::Connect(
    const JetStreamBusOptions& options) {
  for (const std::string& domain : options.domains) {
    RETURN_IF_ERROR(ValidateDomain(domain));
  }
  if (options.replicas < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("replicas must be at least 1, not ", options.replicas));
  }
  if (options.stream_max_age > absl::ZeroDuration() &&
      options.duplicate_window > options.stream_max_age) {
    return absl::InvalidArgumentError(absl::StrCat(
        "duplicate_window (", absl::FormatDuration(options.duplicate_window),
        ") must not be longer than stream_max_age (",
        absl::FormatDuration(options.stream_max_age), ")"));
  }

  natsOptions* raw_options = nullptr;
  natsStatus status = natsOptions_Create(&raw_options);
  std::unique_ptr<natsOptions, decltype(&natsOptions_Destroy)> nats_options(
      raw_options, &natsOptions_Destroy);
  if (status == NATS_OK) status = natsOptions_SetURL(raw_options, options.url.c_str());
  if (status == NATS_OK && !options.client_name.empty()) {
    status = natsOptions_SetName(raw_options, options.client_name.c_str());
  }
  if (status == NATS_OK) {
    status = natsOptions_SetTimeout(raw_options, Millis(options.connect_timeout));
  }
  if (status == NATS_OK) status = natsOptions_SetMaxReconnect(raw_options, -1);
  if (status == NATS_OK) {
    status = natsOptions_SetReconnectWait(raw_options, Millis(options.reconnect_wait));
  }
  // A publish waiting for its ack fails at once when the connection drops.
  if (status == NATS_OK) status = natsOptions_SetFailRequestsOnDisconnect(raw_options, true);
  if (status == NATS_OK) {
    status = natsOptions_SetDisconnectedCB(raw_options, &OnDisconnected, nullptr);
  }
  if (status == NATS_OK) {
    status = natsOptions_SetReconnectedCB(raw_options, &OnReconnected, nullptr);
  }
  if (status == NATS_OK && !options.credentials_file.empty()) {
    status = natsOptions_SetUserCredentialsFromFiles(
        raw_options, options.credentials_file.c_str(), nullptr);
  }
  if (status == NATS_OK && !options.tls_ca_file.empty()) {
    status = natsOptions_SetSecure(raw_options, true);
    if (status == NATS_OK) {
      status = natsOptions_LoadCATrustedCertificates(raw_options,
                                                     options.tls_ca_file.c_str());
    }
  }
  if (status != NATS_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("NATS client options: ", Describe(status)));
  }

  natsConnection* nc = nullptr;
  status = natsConnection_Connect(&nc, raw_options);
  if (status != NATS_OK) {
    return ToStatus(status, static_cast<jsErrCode>(0),
                    absl::StrCat("connecting to NATS at ", options.url));
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = Millis(options.publish_timeout);
  jsCtx* js = nullptr;
  status = natsConnection_JetStream(&js, nc, &js_options);
  if (status != NATS_OK) {
    natsConnection_Destroy(nc);
    return ToStatus(status, static_cast<jsErrCode>(0), "opening JetStream");
  }
  auto connection = std::make_shared<JetStreamConnection>(nc, js, options);
  for (const StreamSpec& stream : StreamsFor(options.domains)) {
    RETURN_IF_ERROR(connection->EnsureStream(stream));
  }
  return std::unique_ptr<JetStreamBus>(new JetStreamBus(std::move(connection)));
}

JetStreamBus::JetStreamBus(std::shared_ptr<JetStreamConnection> connection)
    : connection_(std::move(connection)) {}

JetStreamBus::~JetStreamBus() = default;

absl::Status JetStreamBus::Publish(const Envelope& envelope) {
  RETURN_IF_ERROR(ValidateEnvelope(envelope));
  const std::string data = envelope.SerializeAsString();
  return connection_->Publish(
      SubjectFor(envelope.type()), data.data(), static_cast<int>(data.size()),
      envelope.event_id(), {},
      absl::StrCat("event ", envelope.event_id(), " of type ", envelope.type()));
}

absl::StatusOr<std::unique_ptr<Subscription>> JetStreamBus::Subscribe(
    const ConsumerOptions& options, Handler handler) {
  RETURN_IF_ERROR(ValidateConsumerOptions(options));
  const std::string domain = DomainOf(options.types.front());
  const StreamSpec stream = StreamsFor({domain}).front();
  absl::flat_hash_set<std::string> wanted;
  for (const std::string& type : options.types) wanted.insert(SubjectFor(type));
  const std::string filter =
      wanted.size() == 1 ? *wanted.begin() : stream.subjects;

  RETURN_IF_ERROR(connection_->EnsureStream(stream));
  RETURN_IF_ERROR(connection_->EnsureConsumer(stream.name, options, filter));

  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = stream.name.c_str();
  sub_options.Consumer = options.durable_name.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus status =
      js_PullSubscribe(&sub, connection_->js(), filter.c_str(),
                       options.durable_name.c_str(), nullptr, &sub_options,
                       &js_error);
  if (status != NATS_OK) {
    return ToStatus(status, js_error,
                    absl::StrCat("binding durable consumer ",
                                 options.durable_name, " on stream ",
                                 stream.name));
  }
  return std::make_unique<JetStreamSubscription>(
      connection_, sub, options, std::move(handler), std::move(wanted));
}

}  // namespace tocsin::bus
