// Benchmark: alarm → page, through every real service binary.
//
// Starts the suite (nats-server, incidents, escalation, paging, runbook,
// postmortem, gateway), points one contact's webhook at a receiver inside
// this process, then measures:
//   1. latency: distinct alarms posted one at a time; POST sent → webhook
//      page received; p50, p99, max;
//   2. throughput: distinct alarms posted by several senders, one per
//      request and in batches; alarms/s accepted (2xx, committed) and pages/s;
//   3. duplicates: already-posted events again; requests/s;
//   4. peak RSS of each service (VmHWM).
// It prints figures and never fails on time.
//
//   bazel run -c opt //bench:alarm_to_page -- --alarms=5000
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "libs/http/http_client.h"
#include "libs/http/http_server.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "tests/suite.h"

ABSL_FLAG(int, latency_alarms, 300, "Alarms posted one at a time for the latency figures.");
ABSL_FLAG(int, alarms, 3000, "Distinct alarms posted for the throughput figures.");
ABSL_FLAG(int, senders, 8, "Concurrent senders for the throughput figures.");
ABSL_FLAG(int, batch, 10, "Events per request in the batched half of the throughput run.");

namespace tocsin::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Receives webhook pages and notes when each incident's first page arrived.
class PageReceiver {
 public:
  static std::unique_ptr<PageReceiver> Start() {
    auto r = std::make_unique<PageReceiver>();
    http::HttpServerOptions options;
    options.num_threads = 8;
    r->server_ = *http::HttpServer::Start(options);
    r->server_->Handle("POST", "/page", [p = r.get()](const http::HttpRequest& req) {
      auto now = Clock::now();
      auto j = nlohmann::json::parse(req.body, nullptr, false);
      absl::MutexLock l(&p->mu_);
      if (j.is_object()) p->arrived_.try_emplace(j.value("incidentId", ""), now);
      http::HttpResponse ok;
      ok.body = "{}";
      return ok;
    });
    return r;
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", server_->port(), "/page"); }
  size_t count() const {
    absl::MutexLock l(&mu_);
    return arrived_.size();
  }
  std::optional<Clock::time_point> ArrivalOf(const std::string& incident) const {
    absl::MutexLock l(&mu_);
    auto it = arrived_.find(incident);
    if (it == arrived_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::unique_ptr<http::HttpServer> server_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Clock::time_point> arrived_;
};

std::string Event(const std::string& id, const std::string& alarm) {
  static const nlohmann::json fixture =
      nlohmann::json::parse(e2e::ReadFixture("eventbridge/single-metric-alarm.json"));
  nlohmann::json j = fixture;
  j["id"] = id;
  j["detail"]["alarmName"] = alarm;
  j["resources"][0] = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + alarm;
  return j.dump();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string ProcField(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      std::string v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "?";
}

int Run() {
  auto receiver = PageReceiver::Start();
  e2e::SuiteOptions options;
  options.paging_path = true;
  auto suite = e2e::Suite::Start(options);
  if (!suite.ok()) {
    std::cerr << "cannot start the suite: " << suite.status() << "\n";
    return 1;
  }
  e2e::Suite& s = **suite;
  const std::string manifest = s.dir() + "/bench.yaml";
  std::ofstream(manifest) << "kind: ResponsePlan\nname: bench\nengagements: [bench]\n"
                          << "incidentTemplate: {title: \"{alarm_name}\", impact: 2}\n---\n"
                          << "kind: Contact\nname: bench\nchannels:\n"
                          << "  - {name: hook, webhook: {url: \"" << receiver->url() << "\"}}\n";
  auto applied = s.RunCli({"apply", "-f", manifest});
  if (!applied.ok() || applied->exit_code != 0) {
    std::cerr << "cannot apply the bench manifest: "
              << (applied.ok() ? applied->output : applied.status().ToString()) << "\n";
    return 1;
  }
  const std::string url = s.gateway_url("/v1/events/eventbridge");
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"}, {"x-api-key", s.api_key()}};

  // 1. Latency, one alarm at a time.
  const int n_latency = absl::GetFlag(FLAGS_latency_alarms);
  std::vector<double> latency_ms;
  http::HttpClient client;
  std::vector<double> commit_ms;
  for (int i = 0; i < n_latency; ++i) {
    const std::string id = absl::StrCat("lat-", i);
    auto sent = Clock::now();
    auto r = client.Send({.method = "POST", .url = url, .body = Event(id, id), .headers = headers});
    auto answered = Clock::now();
    if (!r.ok() || r->status != 200) {
      std::cerr << "post failed: " << (r.ok() ? r->body : r.status().ToString()) << "\n";
      return 1;
    }
    commit_ms.push_back(std::chrono::duration<double, std::milli>(answered - sent).count());
    std::string incident = nlohmann::json::parse(r->body)["results"][0]["incidentId"];
    std::optional<Clock::time_point> arrived;
    (void)testing::WaitFor([&] { return (arrived = receiver->ArrivalOf(incident)).has_value(); },
                           absl::Seconds(30), absl::Microseconds(50));
    if (!arrived) {
      std::cerr << "no page for " << incident << " within 30 s\n" << s.Logs();
      return 1;
    }
    latency_ms.push_back(std::chrono::duration<double, std::milli>(*arrived - sent).count());
  }

  // 2. Throughput: half one event per request, half in batches.
  const int n = absl::GetFlag(FLAGS_alarms);
  const int senders = absl::GetFlag(FLAGS_senders);
  const int batch = absl::GetFlag(FLAGS_batch);
  const size_t pages_before = receiver->count();
  std::atomic<int> next{0}, failed{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&] {
      http::HttpClient c;
      while (true) {
        int first = next.fetch_add(1);
        if (first >= n) return;
        std::string body;
        int count = first < n / 2 ? 1 : batch;
        if (count == 1) {
          body = Event(absl::StrCat("tp-", first), absl::StrCat("tp-", first));
        } else {
          // Claim the rest of the batch.
          int extra = next.fetch_add(count - 1);
          body = "[" + Event(absl::StrCat("tp-", first), absl::StrCat("tp-", first));
          for (int k = extra; k < std::min(extra + count - 1, n); ++k) {
            absl::StrAppend(&body, ",", Event(absl::StrCat("tp-", k), absl::StrCat("tp-", k)));
          }
          body += "]";
        }
        auto r = c.Send({.method = "POST", .url = url, .body = body, .headers = headers});
        if (!r.ok() || r->status != 200) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto accepted = Clock::now();
  (void)testing::WaitFor([&] { return receiver->count() >= pages_before + n; },
                         absl::Minutes(5), absl::Milliseconds(5));
  auto paged = Clock::now();
  const double accept_s = std::chrono::duration<double>(accepted - start).count();
  const double page_s = std::chrono::duration<double>(paged - start).count();
  const size_t pages = receiver->count() - pages_before;

  // 3. Duplicates: the same events again (a retrying sender).
  const int n_dup = std::min(n, 2000);
  next = 0;
  threads.clear();
  auto dup_start = Clock::now();
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&] {
      http::HttpClient c;
      for (int i = next.fetch_add(1); i < n_dup; i = next.fetch_add(1)) {
        auto r = c.Send({.method = "POST", .url = url,
                         .body = Event(absl::StrCat("tp-", i), absl::StrCat("tp-", i)),
                         .headers = headers});
        if (!r.ok() || r->status != 200) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double dup_s = std::chrono::duration<double>(Clock::now() - dup_start).count();

  std::cout << "machine: " << std::thread::hardware_concurrency() << " cores, "
            << ProcField("/proc/cpuinfo", "model name") << ", "
            << ProcField("/proc/meminfo", "MemTotal") << "\n";
  std::cout << absl::StrFormat(
      "latency (alarm POST -> webhook page), %d alarms one at a time:\n"
      "  p50 %.2f ms   p99 %.2f ms   max %.2f ms\n"
      "  gateway answer (durable commit) p50 %.2f ms   p99 %.2f ms\n",
      n_latency, Percentile(latency_ms, 0.5), Percentile(latency_ms, 0.99),
      Percentile(latency_ms, 1.0), Percentile(commit_ms, 0.5), Percentile(commit_ms, 0.99));
  std::cout << absl::StrFormat(
      "throughput, %d distinct alarms, %d senders (half single, half batches of %d):\n"
      "  accepted %.0f alarms/s (%.2f s)   paged %zu in %.2f s (%.0f pages/s)\n"
      "duplicates, %d re-posted events: %.0f requests/s\n"
      "failed requests: %d\n",
      n, senders, batch, n / accept_s, accept_s, pages, page_s, pages / page_s, n_dup,
      n_dup / dup_s, failed.load());
  std::cout << "peak RSS (VmHWM) per service:\n";
  for (const std::string& name : s.Services()) {
    std::cout << absl::StrFormat("  %-11s %s\n", name,
                                 ProcField(absl::StrCat("/proc/", s.Pid(name), "/status"),
                                           "VmHWM"));
  }
  return 0;
}

}  // namespace
}  // namespace tocsin::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tocsin::bench::Run();
}
