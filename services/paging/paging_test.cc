// The paging binary with what surrounds it in production: a real
// nats-server, a real SMTP server and a real webhook endpoint. Pages come in
// as page.requested events on the bus; acknowledgements go out on it.
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "libs/bus/jetstream_bus.h"
#include "libs/events/types.h"
#include "libs/grpc/status.h"
#include "libs/proto/time.h"
#include "libs/http/http_client.h"
#include "libs/http/url_encoded.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/nats_server.h"
#include "libs/testing/ports.h"
#include "libs/testing/process.h"
#include "libs/testing/smtp_receiver.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/paging/test_pages.h"
#include "nlohmann/json.hpp"
#include "services/paging/gateway_notifier.h"
#include "services/paging/gateway_signature.h"
#include "services/paging/twilio_notifier.h"
#include "services/paging/twilio_signature.h"
#include "tocsin/paging/v1/paging.grpc.pb.h"

namespace tocsin::paging {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::testing::HttpReceiver;
using ::tocsin::testing::NatsServer;
using ::tocsin::testing::Process;
using ::tocsin::testing::SmtpReceiver;
using ::tocsin::testing::StatusIs;
using ::tocsin::testing::WaitFor;

constexpr absl::Duration kWait = absl::Seconds(20);

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return c;
}

class PagingBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("paging");
    ASSERT_OK_AND_ASSIGN(nats_, NatsServer::Start());
    ASSERT_OK_AND_ASSIGN(smtp_, SmtpReceiver::Start());
    ASSERT_OK_AND_ASSIGN(hook_, HttpReceiver::Start("/hook"));
    bus::JetStreamBusOptions options;
    options.url = nats_->url();
    options.client_name = "paging-test";
    options.domains = {"page"};
    ASSERT_OK_AND_ASSIGN(bus_, bus::JetStreamBus::Connect(options));
    bus::ConsumerOptions observer;
    observer.durable_name = "paging-test-observer";
    observer.types = {events::kPageSent.name, events::kPageDelivered.name,
                      events::kPageFailed.name, events::kPageAcknowledged.name};
    ASSERT_OK_AND_ASSIGN(subscription_, bus_->Subscribe(observer, [this](const bus::Envelope& e) {
      absl::MutexLock l(&mu_);
      observed_.push_back(e);
      return absl::OkStatus();
    }));
    StartPaging();
  }

  void TearDown() override {
    if (paging_ != nullptr) EXPECT_OK(paging_->Terminate(absl::Seconds(10)));
  }

  // The binary's arguments (plus extra ones).
  std::vector<std::string> Args(const std::string& ports_file,
                                const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "--db=" + dir_ + "/paging.db",
        "--nats_url=" + nats_->url(),
        "--smtp_url=" + smtp_->url(),
        "--smtp_from=pager@tocsin.example",
        absl::StrCat("--grpc_listen=127.0.0.1:", grpc_port_),
        absl::StrCat("--http_port=", http_port_),
        "--public_url=https://tocsin.example",
        "--delivery_lease_seconds=2",
        "--smtp_timeout_seconds=1",
        "--webhook_timeout_seconds=1",
        "--retry_base_seconds=1",
        "--ports_file=" + ports_file,
    };
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Starts (or restarts, on the same database and ports) the paging binary.
  void StartPaging() {
    const std::string ports_file = dir_ + "/paging.ports";
    std::remove(ports_file.c_str());
    ASSERT_OK_AND_ASSIGN(
        paging_, Process::Start(testing::RunfilePath("services/paging/paging"),
                                Args(ports_file, extra_args_), env_,
                                absl::StrCat(dir_, "/paging.", ++starts_, ".log")));
    ASSERT_OK(WaitFor([&] { return std::ifstream(ports_file).good() || !paging_->Running(); },
                      kWait));
    ASSERT_TRUE(paging_->Running()) << paging_->LogContents();
    auto ports = nlohmann::json::parse(Slurp(ports_file));
    grpc_port_ = ports["grpc"].get<int>();
    http_port_ = ports["http"].get<int>();
    stub_ = v1::PagingService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", grpc_port_), grpc::InsecureChannelCredentials()));
  }

  std::string HttpUrl(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", http_port_, path);
  }

  // Events of this type about page_id seen so far (every page.* payload
  // carries the page).
  template <typename T>
  int Observed(const events::EventType<T>& type, const std::string& page_id) {
    absl::MutexLock l(&mu_);
    int n = 0;
    for (const auto& e : observed_) {
      absl::StatusOr<T> payload = events::Payload(e, type);
      if (payload.ok() && payload->page().id() == page_id) ++n;
    }
    return n;
  }

  absl::StatusOr<Page> AcceptPage(const std::string& id, const std::string& code) {
    return AcceptPage(id, code, "");
  }
  absl::StatusOr<Page> AcceptPage(const std::string& id, const std::string& code,
                                  const std::string& token) {
    v1::AcceptPageRequest req;
    req.set_page_id(id);
    req.set_accept_code(code);
    req.set_ack_token(token);
    req.set_author("cli:alice");
    Page page;
    RETURN_IF_ERROR(FromGrpcStatus(stub_->AcceptPage(Context().get(), req, &page)));
    return page;
  }

  absl::StatusOr<Page> GetPage(const std::string& id) {
    v1::GetPageRequest req;
    req.set_page_id(id);
    Page page;
    RETURN_IF_ERROR(FromGrpcStatus(stub_->GetPage(Context().get(), req, &page)));
    return page;
  }

  std::string dir_;
  std::unique_ptr<NatsServer> nats_;
  std::unique_ptr<SmtpReceiver> smtp_;
  std::unique_ptr<HttpReceiver> hook_;
  std::unique_ptr<bus::JetStreamBus> bus_;
  std::unique_ptr<bus::Subscription> subscription_;
  absl::Mutex mu_;
  std::vector<bus::Envelope> observed_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Process> paging_;
  int grpc_port_ = 0;
  int http_port_ = 0;
  int starts_ = 0;
  // What StartPaging adds: flags, environment.
  std::vector<std::string> extra_args_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<v1::PagingService::Stub> stub_;
};

TEST_F(PagingBinaryTest, PagesFromTheBusAreDeliveredOnceAndAcknowledged) {
  // A redelivered page.requested and a second one for the same page id,
  // then a webhook page: the consumer handles them in order.
  ASSERT_OK(bus_->Publish(PageRequestedEvent("evt-r1", "pg-1", EmailChannel("alice@example.com"))));
  ASSERT_OK(bus_->Publish(PageRequestedEvent("evt-r1", "pg-1", EmailChannel("alice@example.com"))));
  ASSERT_OK(bus_->Publish(PageRequestedEvent("evt-r2", "pg-1", EmailChannel("alice@example.com"))));
  ASSERT_OK(bus_->Publish(PageRequestedEvent("evt-r3", "pg-2", WebhookChannel(hook_->url()))));
  ASSERT_OK(WaitFor([&] { return Observed(events::kPageDelivered, "pg-2") == 1; }, kWait))
      << paging_->LogContents();
  ASSERT_OK(WaitFor([&] { return Observed(events::kPageDelivered, "pg-1") == 1; }, kWait));
  EXPECT_EQ(smtp_->Messages().size(), 1u);
  EXPECT_EQ(hook_->Requests().size(), 1u);

  const auto mail = smtp_->Messages()[0];
  EXPECT_EQ(mail.subject, "[Tocsin] Critical Database down");
  EXPECT_EQ(mail.Header("Message-ID"), "<pg-1@tocsin.example>");
  const std::string body = mail.body;
  const size_t at = body.find("Accept code: ");
  ASSERT_NE(at, std::string::npos) << body;
  const std::string code = body.substr(at + 13, 8);
  EXPECT_THAT(body, HasSubstr("https://tocsin.example/v1/pages/ack?page=pg-1&token="));

  EXPECT_THAT(AcceptPage("pg-1", code == "00000000" ? "11111111" : "00000000"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("wrong accept code")));
  EXPECT_THAT(AcceptPage("pg-nope", code),
              StatusIs(absl::StatusCode::kNotFound, "page \"pg-nope\" does not exist"));
  ASSERT_OK_AND_ASSIGN(Page acked, AcceptPage("pg-1", code));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked.acked_by(), "cli:alice");
  EXPECT_EQ(acked.accept_code(), "");

  // The webhook page, acknowledged through its link as a browser would.
  auto hook_body = nlohmann::json::parse(hook_->Requests()[0].body);
  const std::string link = hook_body["ackUrl"];
  const std::string token = link.substr(link.find("&token=") + 7);
  ASSERT_THAT(link, HasSubstr("https://tocsin.example/v1/pages/ack?page=pg-2&token="));
  http::HttpClient http;
  ASSERT_OK_AND_ASSIGN(
      auto answer,
      http.Send({.method = "POST",
                 .url = HttpUrl("/v1/pages/ack"),
                 .body = "page=pg-2&token=" + token,
                 .headers = {{"Content-Type", "application/x-www-form-urlencoded"}}}));
  EXPECT_EQ(answer.status, 200) << answer.body;

  ASSERT_OK(WaitFor([&] { return Observed(events::kPageAcknowledged, "pg-1") == 1 &&
                                 Observed(events::kPageAcknowledged, "pg-2") == 1; },
                    kWait));
  {
    absl::MutexLock l(&mu_);
    for (const auto& e : observed_) {
      absl::StatusOr<v1::PageAcknowledged> ack = events::Payload(e, events::kPageAcknowledged);
      if (!ack.ok()) continue;
      EXPECT_EQ(ack->page().engagement_id(), "eng-1");
      EXPECT_EQ(e.incident_id(), "inc-1");
      EXPECT_EQ(e.source(), "paging");
    }
  }
  ASSERT_OK_AND_ASSIGN(auto ready, http.Send({.url = HttpUrl("/readyz")}));
  EXPECT_EQ(ready.status, 200) << ready.body;
  ASSERT_OK_AND_ASSIGN(auto metrics, http.Send({.url = HttpUrl("/metrics")}));
  EXPECT_THAT(metrics.body, HasSubstr("tocsin_paging_deliveries_total{channel=\"email\","
                                      "result=\"delivered\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("tocsin_paging_pages_waiting 0"));
  EXPECT_THAT(metrics.body, HasSubstr("tocsin_paging_deliveries_in_flight 0"));
  EXPECT_THAT(metrics.body,
              HasSubstr("tocsin_paging_ack_refused_total{reason=\"wrong_code\"} 2"));
}

TEST_F(PagingBinaryTest, KilledMidDeliveryTheServiceDeliversAgainAfterTheLeaseWithTheSameKey) {
  hook_->Hold();
  ASSERT_OK(bus_->Publish(PageRequestedEvent("evt-r1", "pg-1", WebhookChannel(hook_->url()))));
  // The channel has the page; the service waits for its answer.
  ASSERT_OK(hook_->WaitForCount(1, kWait)) << paging_->LogContents();
  paging_->Kill(SIGKILL);
  hook_->Release();

  StartPaging();
  ASSERT_OK(WaitFor([&] { return Observed(events::kPageDelivered, "pg-1") == 1; }, kWait))
      << paging_->LogContents();
  auto requests = hook_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].Header("idempotency-key"), "pg-1");
  EXPECT_EQ(requests[1].Header("idempotency-key"), "pg-1");
  // The same page (a fresh link token with each attempt).
  auto first = nlohmann::json::parse(requests[0].body);
  auto second = nlohmann::json::parse(requests[1].body);
  EXPECT_EQ(first["pageId"], second["pageId"]);
  EXPECT_EQ(first["acceptCode"], second["acceptCode"]);
  ASSERT_OK_AND_ASSIGN(Page page, GetPage("pg-1"));
  EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED);
  ASSERT_EQ(page.attempts_size(), 2);
  EXPECT_THAT(page.attempts(0).detail(), HasSubstr("no result recorded"));
  // The second attempt waited for the 2 s lease that the first one took.
  EXPECT_GE(FromProtoTime(page.attempts(1).time()) - FromProtoTime(page.attempts(0).time()),
            absl::Seconds(2));

  // Nothing more comes after a restart: a later page is delivered and the
  // first one is not sent again.
  EXPECT_OK(paging_->Terminate(absl::Seconds(10)));
  StartPaging();
  ASSERT_OK(bus_->Publish(PageRequestedEvent("evt-r2", "pg-2", WebhookChannel(hook_->url()))));
  ASSERT_OK(WaitFor([&] { return Observed(events::kPageDelivered, "pg-2") == 1; }, kWait));
  EXPECT_EQ(hook_->Requests().size(), 3u);
}

TEST_F(PagingBinaryTest, WrongCodesAreLimitedPerCallerAcrossRestarts) {
  ASSERT_OK(bus_->Publish(PageRequestedEvent("evt-r1", "pg-1", WebhookChannel(hook_->url()))));
  ASSERT_OK(WaitFor([&] { return Observed(events::kPageDelivered, "pg-1") == 1; }, kWait))
      << paging_->LogContents();
  const std::string code =
      nlohmann::json::parse(hook_->Requests()[0].body)["acceptCode"].get<std::string>();
  const std::string wrong = code == "00000000" ? "11111111" : "00000000";
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(AcceptPage("pg-1", wrong), StatusIs(absl::StatusCode::kPermissionDenied, _));
  }
  EXPECT_THAT(AcceptPage("pg-1", code),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("too many wrong accept codes from 127.0.0.1")));
  EXPECT_OK(paging_->Terminate(absl::Seconds(10)));
  StartPaging();
  EXPECT_THAT(AcceptPage("pg-1", code),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("try again in")));
  // The link's token is not limited.
  const std::string link = nlohmann::json::parse(hook_->Requests()[0].body)["ackUrl"];
  ASSERT_OK_AND_ASSIGN(Page acked, AcceptPage("pg-1", "", link.substr(link.find("&token=") + 7)));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
}

// Twilio configured by its environment variables, played by a local
// receiver: the SMS page goes out as Twilio's API expects, and a signed
// inbound SMS carrying the code acknowledges the page.
TEST_F(PagingBinaryTest, AnSmsPageGoesThroughTwilioAndAReplyWithTheCodeAcknowledgesIt) {
  ASSERT_OK_AND_ASSIGN(auto twilio,
                       HttpReceiver::Start("/2010-04-01/Accounts/ACtest/Messages.json"));
  const std::string token_file = dir_ + "/twilio.token";
  std::ofstream(token_file) << "tw-token\n";
  ASSERT_OK(paging_->Terminate(absl::Seconds(10)));
  env_ = {{"TOCSIN_TWILIO_BASE_URL", absl::StrCat("http://127.0.0.1:", twilio->port())},
          {"TOCSIN_TWILIO_ACCOUNT_SID", "ACtest"},
          {"TOCSIN_TWILIO_AUTH_TOKEN_FILE", token_file},
          {"TOCSIN_TWILIO_FROM", "+15005550006"}};
  extra_args_ = {"--twilio_timeout_seconds=1"};
  StartPaging();

  escalation::v1::ContactChannel sms;
  sms.set_name("phone");
  sms.mutable_sms()->set_number("+81312345678");
  ASSERT_OK(bus_->Publish(PageRequestedEvent("evt-s1", "pg-s1", sms)));
  ASSERT_OK(WaitFor([&] { return Observed(events::kPageDelivered, "pg-s1") == 1; }, kWait))
      << paging_->LogContents();
  ASSERT_EQ(twilio->Requests().size(), 1u);
  const auto sent = twilio->Requests()[0];
  // base64("ACtest:tw-token")
  EXPECT_EQ(sent.Header("authorization"), "Basic QUN0ZXN0OnR3LXRva2Vu");
  auto form = http::ParseUrlEncoded(sent.body);
  std::map<std::string, std::string> fields(form.begin(), form.end());
  EXPECT_EQ(fields["To"], "+81312345678");
  EXPECT_EQ(fields["From"], "+15005550006");
  EXPECT_EQ(fields["StatusCallback"],
            "https://tocsin.example/v1/providers/twilio/status?page=pg-s1");
  const size_t at = fields["Body"].find("Code ");
  ASSERT_NE(at, std::string::npos) << fields["Body"];
  const std::string code = fields["Body"].substr(at + 5, 8);

  auto reply = [&](const std::string& signature) {
    const std::vector<std::pair<std::string, std::string>> params = {
        {"From", "+81312345678"}, {"To", "+15005550006"}, {"Body", code}};
    http::HttpClient client;
    absl::StatusOr<http::HttpClientResponse> r = client.Send(
        {.method = "POST",
         .url = HttpUrl(kTwilioSmsPath),
         .body = FormEncode(params),
         .headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"X-Twilio-Signature",
                      signature.empty()
                          ? TwilioSignature("tw-token",
                                            absl::StrCat("https://tocsin.example", kTwilioSmsPath),
                                            params)
                          : signature}}});
    EXPECT_OK(r);
    return r.value_or(http::HttpClientResponse{});
  };
  EXPECT_EQ(reply("forged").status, 403);
  ASSERT_OK_AND_ASSIGN(Page before, GetPage("pg-s1"));
  EXPECT_EQ(before.state(), v1::PAGE_STATE_DELIVERED);

  http::HttpClientResponse answered = reply("");
  EXPECT_EQ(answered.status, 200);
  EXPECT_THAT(answered.body, HasSubstr("<Message>Acknowledged: Database down."));
  ASSERT_OK(WaitFor([&] { return Observed(events::kPageAcknowledged, "pg-s1") == 1; }, kWait));
  ASSERT_OK_AND_ASSIGN(Page acked, GetPage("pg-s1"));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked.acked_by(), "sms:+81312345678");
  ASSERT_EQ(acked.attempts_size(), 1);
  // The receiver answers {"received":1}: no sid to keep.
  EXPECT_EQ(acked.attempts(0).detail(), "accepted by Twilio");
}

// The generic SMS gateway configured by its environment variables, played
// by a local receiver: the SMS page goes out as signed JSON, a forged reply
// is refused and a signed reply carrying the code acknowledges the page.
TEST_F(PagingBinaryTest, AnSmsPageGoesThroughTheGatewayAndASignedReplyAcknowledgesIt) {
  ASSERT_OK_AND_ASSIGN(auto gateway, HttpReceiver::Start("/send"));
  const std::string secret_file = dir_ + "/gateway.secret";
  std::ofstream(secret_file) << "gw-secret\n";
  ASSERT_OK(paging_->Terminate(absl::Seconds(10)));
  env_ = {{"TOCSIN_SMS_GATEWAY_URL", gateway->url()},
          {"TOCSIN_SMS_GATEWAY_SECRET_FILE", secret_file}};
  extra_args_ = {"--sms_gateway_timeout_seconds=1"};
  StartPaging();

  escalation::v1::ContactChannel sms;
  sms.set_name("phone");
  sms.mutable_sms()->set_number("+81312345678");
  ASSERT_OK(bus_->Publish(PageRequestedEvent("evt-g1", "pg-g1", sms)));
  ASSERT_OK(WaitFor([&] { return Observed(events::kPageDelivered, "pg-g1") == 1; }, kWait))
      << paging_->LogContents();
  ASSERT_EQ(gateway->Requests().size(), 1u);
  const auto sent = gateway->Requests()[0];
  EXPECT_OK(VerifyGatewaySignature(sent.Header("x-tocsin-signature"), sent.body, "gw-secret",
                                   absl::Now()));
  EXPECT_EQ(sent.Header("idempotency-key"), "pg-g1");
  const nlohmann::json request = nlohmann::json::parse(sent.body);
  EXPECT_EQ(request["type"], "sms");
  EXPECT_EQ(request["to"], "+81312345678");
  EXPECT_EQ(request["callbackUrl"], "https://tocsin.example/v1/providers/gateway/callback");
  const std::string code = request["acceptCode"].get<std::string>();
  EXPECT_THAT(request["text"].get<std::string>(), HasSubstr(code));
  EXPECT_THAT(paging_->LogContents(), Not(HasSubstr("gw-secret")));

  auto reply = [&](const std::string& secret) {
    const std::string body =
        nlohmann::json({{"event", "reply"}, {"from", "+81312345678"}, {"text", code}}).dump();
    http::HttpClient client;
    absl::StatusOr<http::HttpClientResponse> r = client.Send(
        {.method = "POST",
         .url = HttpUrl(kGatewayCallbackPath),
         .body = body,
         .headers = {{"Content-Type", "application/json"},
                     {"X-Tocsin-Signature",
                      GatewaySignature(secret, absl::ToUnixSeconds(absl::Now()), body)}}});
    EXPECT_OK(r);
    return r.value_or(http::HttpClientResponse{});
  };
  EXPECT_EQ(reply("forged").status, 403);
  ASSERT_OK_AND_ASSIGN(Page before, GetPage("pg-g1"));
  EXPECT_EQ(before.state(), v1::PAGE_STATE_DELIVERED);

  http::HttpClientResponse answered = reply("gw-secret");
  EXPECT_EQ(answered.status, 200);
  EXPECT_THAT(answered.body, HasSubstr("Acknowledged: Database down."));
  ASSERT_OK(WaitFor([&] { return Observed(events::kPageAcknowledged, "pg-g1") == 1; }, kWait));
  ASSERT_OK_AND_ASSIGN(Page acked, GetPage("pg-g1"));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked.acked_by(), "sms:+81312345678");
}

TEST_F(PagingBinaryTest, TwilioAndTheGatewayTogetherRefuseToStart) {
  const std::string ports_file = dir_ + "/both.ports";
  const std::string secret_file = dir_ + "/both.secret";
  std::ofstream(secret_file) << "s3cret\n";
  ASSERT_OK_AND_ASSIGN(
      auto bad, Process::Start(testing::RunfilePath("services/paging/paging"),
                               Args(ports_file, {"--grpc_listen=127.0.0.1:0", "--http_port=0",
                                                 "--db=" + dir_ + "/both.db"}),
                               {{"TOCSIN_TWILIO_ACCOUNT_SID", "ACtest"},
                                {"TOCSIN_TWILIO_AUTH_TOKEN_FILE", secret_file},
                                {"TOCSIN_TWILIO_FROM", "+15005550006"},
                                {"TOCSIN_SMS_GATEWAY_URL", "http://127.0.0.1:1/send"},
                                {"TOCSIN_SMS_GATEWAY_SECRET_FILE", secret_file}},
                               dir_ + "/both.log"));
  ASSERT_OK_AND_ASSIGN(int status, bad->Wait(kWait));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_THAT(bad->LogContents(), HasSubstr("configure one SMS/voice provider"));
  EXPECT_THAT(bad->LogContents(), Not(HasSubstr("s3cret")));
}

TEST_F(PagingBinaryTest, APartialTwilioConfigurationRefusesToStartNamingWhatIsMissing) {
  const std::string ports_file = dir_ + "/tw.ports";
  ASSERT_OK_AND_ASSIGN(
      auto bad, Process::Start(testing::RunfilePath("services/paging/paging"),
                               Args(ports_file, {"--grpc_listen=127.0.0.1:0", "--http_port=0",
                                                 "--db=" + dir_ + "/tw.db"}),
                               {{"TOCSIN_TWILIO_ACCOUNT_SID", "ACtest"}}, dir_ + "/tw.log"));
  ASSERT_OK_AND_ASSIGN(int status, bad->Wait(kWait));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_THAT(bad->LogContents(), HasSubstr("TOCSIN_TWILIO_AUTH_TOKEN_FILE"));
}

TEST_F(PagingBinaryTest, ALeaseNoLongerThanANotifierTimeoutRefusesToStart) {
  const std::string ports_file = dir_ + "/bad.ports";
  ASSERT_OK_AND_ASSIGN(
      auto bad, Process::Start(testing::RunfilePath("services/paging/paging"),
                               Args(ports_file, {"--grpc_listen=127.0.0.1:0", "--http_port=0",
                                                 "--db=" + dir_ + "/bad.db",
                                                 "--delivery_lease_seconds=20",
                                                 "--smtp_timeout_seconds=30"}),
                               {}, dir_ + "/bad.log"));
  ASSERT_OK_AND_ASSIGN(int status, bad->Wait(kWait));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_THAT(bad->LogContents(), HasSubstr("must be longer than the longest notifier timeout"));
}

TEST_F(PagingBinaryTest, AMalformedEnvironmentValueRefusesToStartNamingIt) {
  const std::string ports_file = dir_ + "/env.ports";
  ASSERT_OK_AND_ASSIGN(
      auto bad, Process::Start(testing::RunfilePath("services/paging/paging"),
                               Args(ports_file, {"--grpc_listen=127.0.0.1:0", "--http_port=0",
                                                 "--db=" + dir_ + "/env.db"}),
                               {{"TOCSIN_PAGING_MAX_ATTEMPTS", "six"}}, dir_ + "/env.log"));
  ASSERT_OK_AND_ASSIGN(int status, bad->Wait(kWait));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_THAT(bad->LogContents(), HasSubstr("TOCSIN_PAGING_MAX_ATTEMPTS=six is not an integer"));
}

}  // namespace
}  // namespace tocsin::paging
