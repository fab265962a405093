// dev_receiver: a webhook receiver for trying Tocsin on one machine. It
// prints every page it receives (one block per page, with the command that
// acknowledges it) and answers 200. tools/start runs it for the sample
// contact's webhook channel.
//
//   dev_receiver --port=7080     pages arrive at http://127.0.0.1:7080/hook
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/http/http_server.h"
#include "libs/service/runtime.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(int, port, 7080, "Port to receive webhooks on (path /hook).");
ABSL_FLAG(std::string, cli, "tocsin", "How to call the CLI in the printed ack command.");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  tocsin::service::BlockShutdownSignals();
  tocsin::http::HttpServerOptions options;
  options.port = absl::GetFlag(FLAGS_port);
  options.num_threads = 2;
  auto server = tocsin::http::HttpServer::Start(options);
  if (!server.ok()) {
    std::cerr << "dev_receiver: " << server.status() << "\n";
    return 1;
  }
  absl::Mutex mu;
  const std::string cli = absl::GetFlag(FLAGS_cli);
  (*server)->Handle("POST", "/hook", [&](const tocsin::http::HttpRequest& r) {
    auto page = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    absl::MutexLock l(&mu);
    if (!page.is_object()) {
      std::cout << "\n[webhook] not a JSON object: " << r.body << std::endl;
      return tocsin::http::JsonError(400, "invalid_json", "expected a JSON object");
    }
    std::cout << "\n=== PAGE " << page.value("pageId", "?") << " for "
              << page.value("contact", "?") << " (stage " << page.value("stage", 0) + 1
              << ") ===\n"
              << "  incident: " << page.value("incidentId", "?") << "  impact "
              << page.value("impact", 0) << "\n"
              << "  title:    " << page.value("title", "") << "\n"
              << "  ack:      " << cli << " pages ack " << page.value("pageId", "?")
              << " --code " << page.value("acceptCode", "?") << "\n"
              << "            or open " << page.value("ackUrl", "") << std::endl;
    tocsin::http::HttpResponse ok;
    ok.body = "{}";
    return ok;
  });
  std::cout << "dev_receiver: webhook pages arrive at http://127.0.0.1:" << (*server)->port()
            << "/hook" << std::endl;
  tocsin::service::WaitForShutdownSignal();
  return 0;
}
