#include "libs/testing/smtp_receiver.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/ports.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace tocsin::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(20);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Names of the finished message files in dir ("000001.json", ...), sorted.
std::vector<std::string> MessageFiles(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* entry = readdir(d)) {
    std::string name = entry->d_name;
    if (absl::EndsWith(name, ".json")) names.push_back(std::move(name));
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Python() {
  const char* configured = getenv("PYTHON3");
  return configured != nullptr && *configured != '\0' ? configured : "/usr/bin/python3";
}

}  // namespace

std::string SmtpMessage::Header(absl::string_view name) const {
  for (const auto& [n, value] : headers) {
    if (absl::EqualsIgnoreCase(n, name)) return value;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<SmtpReceiver>> SmtpReceiver::Start() {
  const std::string dir = MakeTempDir("smtp-receiver");
  const std::string messages = dir + "/messages";
  const std::string refused = dir + "/refused";
  const std::string port_file = dir + "/port";
  for (const std::string& folder : {messages, refused}) {
    if (mkdir(folder.c_str(), 0755) != 0) {
      return absl::InternalError(absl::StrCat("cannot create ", folder));
    }
  }
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(
      Python(),
      {RunfilePath("libs/testing/smtp_receiver.py"), "--dir", messages, "--port_file",
       port_file, "--control_file", dir + "/control.json", "--refused_dir", refused},
      {}, dir + "/server.log");
  if (!process.ok()) return process.status();
  int port = 0;
  absl::Status up = WaitFor(
      [&] {
        return absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(port_file)), &port) ||
               !(*process)->Running();
      },
      kStartTimeout);
  if (!up.ok() || port == 0) {
    return absl::UnavailableError(absl::StrCat("the SMTP receiver did not start; its output:\n",
                                               (*process)->LogContents()));
  }
  return std::unique_ptr<SmtpReceiver>(new SmtpReceiver(dir, port, std::move(*process)));
}

std::vector<SmtpMessage> SmtpReceiver::Messages() const {
  std::vector<SmtpMessage> out;
  for (const std::string& name : MessageFiles(dir_)) {
    nlohmann::json j = nlohmann::json::parse(ReadFile(dir_ + "/" + name), nullptr,
                                             /*allow_exceptions=*/false);
    if (!j.is_object()) continue;
    SmtpMessage m;
    m.mail_from = j.value("mailFrom", "");
    for (const auto& r : j.value("rcptTos", nlohmann::json::array())) {
      if (r.is_string()) m.rcpt_tos.push_back(r.get<std::string>());
    }
    m.raw = j.value("raw", "");
    for (const auto& h : j.value("headers", nlohmann::json::array())) {
      if (h.is_array() && h.size() == 2 && h[0].is_string() && h[1].is_string()) {
        m.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
      }
    }
    m.subject = j.value("subject", "");
    m.body = j.value("body", "");
    out.push_back(std::move(m));
  }
  return out;
}

int SmtpReceiver::Count() const { return static_cast<int>(MessageFiles(dir_).size()); }

absl::Status SmtpReceiver::RefuseNext(int n, int code, SmtpStage stage) {
  nlohmann::json control = {{"generation", ++generation_},
                            {"refuse", n},
                            {"code", code},
                            {"stage", stage == SmtpStage::kMail ? "MAIL" : "DATA"}};
  const std::string path = root_ + "/control.json";
  {
    std::ofstream out(path + ".tmp", std::ios::trunc);
    out << control.dump();
    if (!out.good()) return absl::InternalError(absl::StrCat("cannot write ", path, ".tmp"));
  }
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot replace ", path));
  }
  return absl::OkStatus();
}

int SmtpReceiver::Refusals() const {
  return static_cast<int>(MessageFiles(root_ + "/refused").size());
}

absl::Status SmtpReceiver::WaitForCount(int n, absl::Duration timeout) const {
  if (WaitFor([&] { return Count() >= n; }, timeout).ok()) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("the SMTP receiver got ", Count(),
                                                  " messages, waited for ", n));
}

std::string SmtpReceiver::url() const { return absl::StrCat("smtp://127.0.0.1:", port_); }

}  // namespace tocsin::testing
