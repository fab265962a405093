#include "libs/bus/jetstream_bus.h"

#include <nats/nats.h>

#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace tocsin::bus {
namespace {

// How long one fetch waits for a message: the longest a Subscription's
// destructor waits for an idle fetch loop.
constexpr absl::Duration kFetchTimeout = absl::Milliseconds(250);
// Pause before fetching again after a failed fetch (e.g. while reconnecting).
constexpr absl::Duration kFetchRetryPause = absl::Milliseconds(250);
// Longest error text carried in kErrorHeader.
constexpr size_t kMaxErrorHeaderLength = 1024;

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
    case NATS_SSL_ERROR:
    case NATS_SECURE_CONNECTION_WANTED:
    case NATS_SECURE_CONNECTION_REQUIRED:
      return absl::FailedPreconditionError(message);
    default:
      return js_error != 0 ? absl::FailedPreconditionError(message)
                           : absl::InternalError(message);
  }
}

// Header values are one line.
std::string HeaderValue(absl::string_view text) {
  std::string value(text.substr(0, kMaxErrorHeaderLength));
  for (char& c : value) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return value;
}

void OnDisconnected(natsConnection* nc, void* /*closure*/) {
  if (!natsConnection_IsClosed(nc)) {
    spdlog::warn("NATS connection lost; reconnecting");
  }
}

void OnReconnected(natsConnection* nc, void* /*closure*/) {
  char url[256] = "";
  natsConnection_GetConnectedUrl(nc, url, sizeof(url));
  spdlog::info("NATS connection restored to {}", url);
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
        replicas_(options.replicas) {}

  JetStreamConnection(const JetStreamConnection&) = delete;
  JetStreamConnection& operator=(const JetStreamConnection&) = delete;

  ~JetStreamConnection() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }

  jsCtx* js() const { return js_; }

  // Creates the stream unless it exists; an existing stream must store
  // spec.subjects and is otherwise left alone.
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
  // de-duplication key.
  absl::Status Publish(
      const std::string& subject, const void* data, int len,
      const std::string& msg_id,
      const std::vector<std::pair<const char*, std::string>>& headers) const {
    // While reconnecting, the client would buffer the message and wait out
    // the whole timeout for an ack; say so at once instead.
    if (natsConnection_Status(nc_) != NATS_CONN_STATUS_CONNECTED) {
      return absl::UnavailableError(absl::StrCat(
          "publishing ", msg_id, " to ", subject,
          ": not connected to NATS (reconnecting)"));
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
          spdlog::info("consumer {}: fetching again", options_.durable_name);
          failing = false;
        }
        for (int i = 0; i < list.Count; ++i) Handle(list.Msgs[i]);
        natsMsgList_Destroy(&list);
      } else if (status != NATS_TIMEOUT) {
        if (!failing) {
          spdlog::warn("consumer {}: fetch failed, retrying: {}",
                       options_.durable_name,
                       std::string(ToStatus(status, js_error, "fetch").message()));
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
      spdlog::warn("consumer {}: ignoring a message without JetStream metadata",
                   options_.durable_name);
      return;
    }
    const int64_t deliveries = static_cast<int64_t>(meta->NumDelivered);
    const std::string dead_letter_id = absl::StrCat(
        options_.durable_name, ":", meta->Stream, ":", meta->Sequence.Stream);
    jsMsgMetaData_Destroy(meta);

    if (!wanted_.contains(natsMsg_GetSubject(msg))) {
      Ack(msg, "a message of a type this consumer skips");
      return;
    }
    absl::StatusOr<Envelope> envelope =
        ParseEnvelope(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    if (!envelope.ok()) {
      DeadLetter(msg, dead_letter_id, deliveries, envelope.status().ToString());
      return;
    }
    if (deliveries > options_.max_deliver) {
      DeadLetter(msg, dead_letter_id, deliveries,
                 absl::StrCat("delivered ", deliveries,
                              " times without success (max_deliver ",
                              options_.max_deliver, ")"));
      return;
    }
    absl::Status handled = handler_(*envelope);
    if (handled.ok()) {
      Ack(msg, absl::StrCat("event ", envelope->event_id()));
    } else if (deliveries >= options_.max_deliver) {
      DeadLetter(msg, dead_letter_id, deliveries, handled.ToString());
    } else {
      natsMsg_NakWithDelay(msg, Millis(options_.nak_delay), nullptr);
    }
  }

  void Ack(natsMsg* msg, absl::string_view what) {
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus status = natsMsg_AckSync(msg, nullptr, &js_error);
    if (status != NATS_OK) {
      spdlog::warn("consumer {}: ack of {} failed, it will be redelivered: {}",
                   options_.durable_name, std::string(what),
                   std::string(ToStatus(status, js_error, "ack").message()));
    }
  }

  // Publishes the message body to the dead-letter subject, then terminates
  // the message. If the publish fails, the message is nak'ed and comes back.
  void DeadLetter(natsMsg* msg, const std::string& dead_letter_id,
                  int64_t deliveries, const std::string& error) {
    const std::string subject = natsMsg_GetSubject(msg);
    absl::Status published = connection_->Publish(
        DeadLetterSubject(options_.durable_name), natsMsg_GetData(msg),
        natsMsg_GetDataLength(msg), dead_letter_id,
        {{kErrorHeader, HeaderValue(error)},
         {kSubjectHeader, subject},
         {kDeliveriesHeader, absl::StrCat(deliveries)}});
    if (!published.ok()) {
      spdlog::warn("consumer {}: could not dead-letter {} from {}, retrying: {}",
                   options_.durable_name, dead_letter_id, subject,
                   std::string(published.message()));
      natsMsg_NakWithDelay(msg, Millis(options_.nak_delay), nullptr);
      return;
    }
    spdlog::warn("consumer {}: dead-lettered {} from {} after {} deliveries: {}",
                 options_.durable_name, dead_letter_id, subject, deliveries,
                 error);
    natsMsg_Term(msg, nullptr);
  }

  const std::shared_ptr<JetStreamConnection> connection_;
  natsSubscription* const sub_;
  const ConsumerOptions options_;
  const Handler handler_;
  const absl::flat_hash_set<std::string> wanted_;
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
  return connection_->Publish(SubjectFor(envelope.type()), data.data(),
                              static_cast<int>(data.size()), envelope.event_id(),
                              {});
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
