#include "tests/fault_helpers.h"

#include <nats/nats.h>

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "libs/bus/event_bus.h"
#include "libs/grpc/status.h"
#include "libs/status/status_macros.h"
#include "libs/testing/http_probe.h"
#include "libs/testing/ports.h"

namespace tocsin::e2e::faults {
namespace {

bool Settled(const paging::v1::Page& page) {
  if (page.state() != paging::v1::PAGE_STATE_DELIVERED &&
      page.state() != paging::v1::PAGE_STATE_ACKNOWLEDGED) {
    return false;
  }
  for (const auto& attempt : page.attempts()) {
    if (attempt.in_progress()) return false;
  }
  return true;
}

// Messages kept on the bus's dead-letter stream (0 when it does not exist).
absl::StatusOr<int64_t> BusDeadLetters(const std::string& nats_url) {
  natsConnection* connection = nullptr;
  if (natsConnection_ConnectTo(&connection, nats_url.c_str()) != NATS_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to NATS at ", nats_url));
  }
  jsCtx* js = nullptr;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = natsConnection_JetStream(&js, connection, nullptr);
  if (s == NATS_OK) s = js_GetStreamInfo(&info, js, bus::kDeadLetterStream, nullptr, &code);
  absl::StatusOr<int64_t> result = int64_t{0};
  if (s == NATS_OK) {
    result = static_cast<int64_t>(info->State.Msgs);
  } else if (code != JSStreamNotFoundErr && s != NATS_NOT_FOUND) {
    result = absl::UnavailableError(absl::StrCat("stream ", bus::kDeadLetterStream, ": ",
                                                 natsStatus_GetText(s)));
  }
  jsStreamInfo_Destroy(info);
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
  return result;
}

// How long ExpectEachPagedOnce watches for late doubles.
constexpr absl::Duration kQuiet = absl::Seconds(2);

}  // namespace

const std::vector<std::string>& StatefulServices() {
  static const auto* services = new std::vector<std::string>{
      "incidents", "escalation", "paging", "runbook", "postmortem"};
  return *services;
}

absl::StatusOr<std::unique_ptr<FaultHarness>> FaultHarness::Start(FaultOptions options) {
  std::unique_ptr<FaultHarness> h(new FaultHarness());
  ASSIGN_OR_RETURN(h->smtp_, testing::SmtpReceiver::Start());
  ASSIGN_OR_RETURN(h->hook_, testing::HttpReceiver::Start("/hook"));
  ASSIGN_OR_RETURN(h->faulty_, testing::FaultyHttpServer::Start());
  SuiteOptions suite = options.suite;
  suite.paging_path = true;
  suite.smtp_url = h->smtp_->url();
  // Quick retries, so a fault that ends is recovered from in seconds; the
  // test's own flags come after and win.
  std::vector<std::string>& paging = suite.flags["paging"];
  paging.insert(paging.begin(), {"--retry_base_seconds=1", "--retry_cap_seconds=2"});
  ASSIGN_OR_RETURN(h->suite_, Suite::Start(suite));
  RETURN_IF_ERROR(h->Configure(options));
  return h;
}

FaultHarness::~FaultHarness() {
  stopping_ = true;
  if (stream_.joinable()) stream_.join();
}

absl::Status FaultHarness::Configure(const FaultOptions& options) {
  auto add = [&](const std::string& name, escalation::v1::ContactChannel channel) {
    escalation::v1::CreateContactRequest req;
    req.mutable_contact()->set_name(name);
    *req.mutable_contact()->add_channels() = std::move(channel);
    escalation::v1::Contact out;
    contacts_.push_back(name);
    return FromGrpcStatus(suite_->contacts().CreateContact(Ctx().get(), req, &out));
  };
  escalation::v1::ContactChannel email;
  email.set_name("work-email");
  email.mutable_email()->set_address("alice@example.com");
  RETURN_IF_ERROR(add(kEmailContact, email));
  escalation::v1::ContactChannel hook;
  hook.set_name("hook");
  hook.mutable_webhook()->set_url(hook_->url());
  RETURN_IF_ERROR(add(kWebhookContact, hook));
  for (const auto& [name, path] : options.faulty_contacts) {
    escalation::v1::ContactChannel faulty;
    faulty.set_name("faulty-hook");
    faulty.mutable_webhook()->set_url(faulty_->url(path));
    RETURN_IF_ERROR(add(name, faulty));
  }
  incidents::v1::ResponsePlan plan;
  plan.set_name("faults");
  plan.mutable_match()->set_alarm_name_pattern("Fault*");
  plan.mutable_incident_template()->set_title("{alarm_name} is {state}");
  plan.mutable_incident_template()->set_impact(1);
  for (const std::string& c : contacts_) plan.add_engagements(c);
  return suite_->CreatePlan(plan);
}

nlohmann::json FaultHarness::AlarmEvent(int n) {
  auto j = nlohmann::json::parse(ReadFixture("eventbridge/single-metric-alarm.json"));
  const std::string name = absl::StrCat("Fault", n);
  j["id"] = absl::StrCat("fault-event-", n);
  j["detail"]["alarmName"] = name;
  j["resources"][0] = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name;
  return j;
}

absl::StatusOr<http::HttpClientResponse> FaultHarness::PostBody(const std::string& body) {
  http::HttpClient client;
  return client.Send({.method = "POST",
                      .url = suite_->gateway_url("/v1/events/eventbridge"),
                      .body = body,
                      .headers = {{"Content-Type", "application/json"},
                                  {"x-api-key", suite_->api_key()}},
                      .timeout = absl::Seconds(30)});
}

absl::StatusOr<Posted> FaultHarness::PostAlarm(int n, absl::Duration timeout) {
  const std::string body = AlarmEvent(n).dump();
  const absl::Time give_up = absl::Now() + timeout;
  Posted posted;
  std::string last = "nothing sent";
  while (absl::Now() < give_up && !stopping_) {
    ++posted.attempts;
    absl::StatusOr<http::HttpClientResponse> r = PostBody(body);
    if (r.ok() && r->status == 200) {
      auto j = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object() || !j["results"].is_array() || j["results"].empty()) {
        return absl::InternalError(absl::StrCat("alarm ", n, ": 200 without results: ", r->body));
      }
      posted.incident_id = j["results"][0].value("incidentId", "");
      if (posted.incident_id.empty()) {
        return absl::InternalError(absl::StrCat("alarm ", n, " opened no incident: ", r->body));
      }
      return posted;
    }
    if (r.ok() && r->status >= 400 && r->status < 500 && r->status != 429) {
      return absl::InvalidArgumentError(
          absl::StrCat("alarm ", n, " answered ", r->status, ": ", r->body));
    }
    last = r.ok() ? absl::StrCat(r->status, " ", r->body) : r.status().ToString();
    absl::SleepFor(absl::Milliseconds(250));  // the sender's retry back-off
  }
  return absl::DeadlineExceededError(absl::StrCat("alarm ", n, " not accepted after ",
                                                  posted.attempts, " tries; last: ", last));
}

void FaultHarness::StreamAlarms(int first, int count, absl::Duration every) {
  {
    absl::MutexLock l(&stream_mu_);
    stream_results_.assign(count, absl::UnknownError("not posted"));
    stream_accepted_ = 0;
  }
  stream_ = std::thread([this, first, count, every] {
    for (int i = 0; i < count && !stopping_; ++i) {
      const absl::Time next = absl::Now() + every;
      absl::StatusOr<Posted> posted = PostAlarm(first + i);
      {
        absl::MutexLock l(&stream_mu_);
        stream_accepted_ += posted.ok();
        stream_results_[i] = std::move(posted);
      }
      if (absl::Now() < next) absl::SleepFor(next - absl::Now());  // the stream's pace
    }
  });
}

int FaultHarness::StreamAccepted() {
  absl::MutexLock l(&stream_mu_);
  return stream_accepted_;
}

std::vector<absl::StatusOr<Posted>> FaultHarness::StreamResults() {
  if (stream_.joinable()) stream_.join();
  absl::MutexLock l(&stream_mu_);
  return stream_results_;
}

Deliveries FaultHarness::Received() const {
  Deliveries d;
  for (const testing::SmtpMessage& m : smtp_->Messages()) {
    d.email[m.Header("X-Tocsin-Incident-Id")].push_back(m.Header("X-Tocsin-Page-Id"));
  }
  for (const testing::ReceivedRequest& r : hook_->Requests()) {
    if (r.answered != 200) continue;
    auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    const std::string incident = j.is_object() ? j.value("incidentId", "") : "";
    d.webhook[incident].push_back(r.Header("idempotency-key"));
  }
  return d;
}

absl::StatusOr<nlohmann::json> FaultHarness::WebhookFor(const std::string& incident) const {
  for (const testing::ReceivedRequest& r : hook_->Requests()) {
    auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("incidentId", "") == incident) return j;
  }
  return absl::NotFoundError(absl::StrCat("no webhook for ", incident, " yet"));
}

absl::StatusOr<std::vector<paging::v1::Page>> FaultHarness::Pages(const std::string& incident) {
  paging::v1::ListPagesRequest req;
  req.set_incident_id(incident);
  paging::v1::ListPagesResponse resp;
  RETURN_IF_ERROR(FromGrpcStatus(suite_->paging().ListPages(Ctx().get(), req, &resp)));
  return std::vector<paging::v1::Page>(resp.pages().begin(), resp.pages().end());
}

absl::StatusOr<std::vector<escalation::v1::Engagement>> FaultHarness::Engagements(
    const std::string& incident) {
  escalation::v1::ListEngagementsRequest req;
  req.set_incident_id(incident);
  escalation::v1::ListEngagementsResponse resp;
  RETURN_IF_ERROR(
      FromGrpcStatus(suite_->engagements().ListEngagements(Ctx().get(), req, &resp)));
  return std::vector<escalation::v1::Engagement>(resp.engagements().begin(),
                                                 resp.engagements().end());
}

absl::Status FaultHarness::WaitUntilDelivered(const std::vector<std::string>& incidents,
                                              absl::Duration timeout) {
  std::string missing;
  auto done = [&] {
    missing.clear();
    const Deliveries d = Received();
    for (const std::string& incident : incidents) {
      if (d.email.count(incident) == 0) absl::StrAppend(&missing, incident, ": no email; ");
      if (d.webhook.count(incident) == 0) absl::StrAppend(&missing, incident, ": no webhook; ");
      absl::StatusOr<std::vector<paging::v1::Page>> pages = Pages(incident);
      if (!pages.ok()) {
        absl::StrAppend(&missing, incident, ": pages: ", pages.status().ToString(), "; ");
        continue;
      }
      for (const char* contact : {kEmailContact, kWebhookContact}) {
        bool settled = false;
        for (const auto& p : *pages) settled |= p.contact() == contact && Settled(p);
        if (!settled) absl::StrAppend(&missing, incident, ": ", contact, " not delivered; ");
      }
    }
    return missing.empty();
  };
  if (testing::WaitFor(done, timeout, absl::Milliseconds(250)).ok() || done()) {
    return absl::OkStatus();
  }
  return absl::DeadlineExceededError(
      absl::StrCat("after ", absl::FormatDuration(timeout), ": ", missing));
}

void FaultHarness::ExpectEachPagedOnce(const std::vector<std::string>& incidents,
                                       bool same_page_again) {
  // A double would come now, if at all: a second page, or a page claimed
  // again after its lease.
  const absl::Time quiet_until = absl::Now() + kQuiet;
  (void)testing::WaitFor([&] { return absl::Now() >= quiet_until; }, kQuiet * 2);

  const Deliveries d = Received();
  const std::set<std::string> expected(incidents.begin(), incidents.end());
  EXPECT_EQ(expected.size(), incidents.size()) << "two alarms opened one incident";
  for (const auto* by_receiver : {&d.email, &d.webhook}) {
    const char* contact = by_receiver == &d.email ? kEmailContact : kWebhookContact;
    for (const auto& [incident, page_ids] : *by_receiver) {
      EXPECT_TRUE(expected.count(incident))
          << contact << " was paged for " << incident << ", which the test did not open";
    }
    for (const std::string& incident : incidents) {
      auto it = by_receiver->find(incident);
      const std::vector<std::string> ids =
          it == by_receiver->end() ? std::vector<std::string>{} : it->second;
      const std::set<std::string> distinct(ids.begin(), ids.end());
      EXPECT_EQ(distinct.size(), 1u)
          << contact << " got " << distinct.size() << " different pages for " << incident
          << ": " << absl::StrJoin(ids, ", ");
      if (!same_page_again) {
        EXPECT_EQ(ids.size(), 1u) << contact << " got " << ids.size() << " deliveries for "
                                  << incident << ": " << absl::StrJoin(ids, ", ");
      }
    }
  }
  for (const std::string& incident : incidents) {
    absl::StatusOr<std::vector<paging::v1::Page>> pages = Pages(incident);
    ASSERT_TRUE(pages.ok()) << incident << ": " << pages.status();
    std::map<std::string, int> per_contact;
    for (const auto& p : *pages) ++per_contact[p.contact()];
    EXPECT_EQ(per_contact[kEmailContact], 1) << incident;
    EXPECT_EQ(per_contact[kWebhookContact], 1) << incident;
    absl::StatusOr<std::vector<escalation::v1::Engagement>> engagements = Engagements(incident);
    ASSERT_TRUE(engagements.ok()) << incident << ": " << engagements.status();
    std::map<std::string, int> engaged;
    for (const auto& e : *engagements) ++engaged[e.contact()];
    for (const std::string& c : contacts_) {
      EXPECT_EQ(engaged[c], 1) << incident << " engaged " << c << " " << engaged[c] << " times";
    }
  }
}

void FaultHarness::ExpectNoDeadLetters() {
  // Nothing on the bus's own dead-letter stream (where a consumer without a
  // dead-letter hook sets messages aside)...
  absl::StatusOr<int64_t> on_bus = BusDeadLetters(suite_->nats_url());
  EXPECT_TRUE(on_bus.ok()) << on_bus.status();
  if (on_bus.ok()) {
    EXPECT_EQ(*on_bus, 0) << *on_bus << " messages on the bus's dead-letter stream "
                          << bus::kDeadLetterStream;
  }
  // ... and none in any service's store.
  for (const std::string& service : StatefulServices()) {
    absl::StatusOr<std::vector<admin::v1::DeadLetter>> letters = suite_->DeadLetters(service);
    EXPECT_TRUE(letters.ok()) << service << " does not list its dead letters: "
                              << letters.status();
    if (!letters.ok()) continue;
    for (const admin::v1::DeadLetter& l : *letters) {
      ADD_FAILURE() << service << " dead-lettered " << l.id() << " (" << l.source() << ", "
                    << l.event_type() << " " << l.event_id() << ", " << l.attempts()
                    << " attempts): " << l.error();
    }
  }
}

int FaultHarness::Readyz(const std::string& service) {
  absl::StatusOr<testing::ProbeResponse> r = testing::Probe(
      {.url = absl::StrCat("http://127.0.0.1:", suite_->http_port(service), "/readyz"),
       .timeout = absl::Seconds(5)});
  return r.ok() ? r->status : 0;
}

}  // namespace tocsin::e2e::faults
