// The daemon's metrics (backend, health and log commands: cmd_backend.cc).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <thread>

#include "cli/app.h"
#include "cli/output.h"

namespace ipfskit::cli {

namespace {

// Prometheus text to {name: [{labels, value}]}.
nlohmann::json parse_prometheus(const std::string& text) {
  nlohmann::json out = nlohmann::json::object();
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() : nl + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t brace = line.find('{');
    size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    std::string name = line.substr(0, std::min(brace, space));
    nlohmann::json labels = nlohmann::json::object();
    if (brace != std::string::npos && brace < space) {
      size_t close = line.find('}', brace);
      std::string body = line.substr(brace + 1, close - brace - 1);
      size_t p = 0;
      while (p < body.size()) {
        size_t eq = body.find('=', p);
        if (eq == std::string::npos) break;
        size_t q1 = body.find('"', eq);
        size_t q2 = body.find('"', q1 + 1);
        labels[body.substr(p, eq - p)] = body.substr(q1 + 1, q2 - q1 - 1);
        p = q2 + 2;
      }
    }
    double value = std::strtod(line.c_str() + space + 1, nullptr);
    out[name].push_back({{"labels", labels}, {"value", value}});
  }
  return out;
}

double sum_of(const nlohmann::json& m, const std::string& name, const std::string& label = "", const std::string& want = "") {
  double total = 0;
  if (!m.contains(name)) return 0;
  for (const auto& s : m[name])
    if (label.empty() || (s["labels"].contains(label) && s["labels"][label] == want)) total += s["value"].get<double>();
  return total;
}

Status show_metrics(Context& ctx, bool detailed) {
  api::Client* client = TRY(ctx.client());
  nlohmann::json m = parse_prometheus(TRY(client->metrics()));
  if (ctx.json) {
    print_json(m);
    return {};
  }
  if (detailed) {
    std::vector<std::vector<std::string>> rows{{"METRIC", "LABELS", "VALUE"}};
    for (auto& [name, samples] : m.items())
      for (const auto& s : samples) {
        std::string labels;
        for (auto& [k, v] : s["labels"].items()) labels += (labels.empty() ? "" : ",") + k + "=" + v.get<std::string>();
        char value[64];
        std::snprintf(value, sizeof value, "%.15g", s["value"].get<double>());
        rows.push_back({name, labels.empty() ? "-" : labels, value});
      }
    print_columns(rows);
    return {};
  }
  std::vector<std::vector<std::string>> rows{{"LISTENER", "REQUESTS", "5XX", "BYTES SENT", "MEAN LATENCY"}};
  for (const char* l : {"api", "rpc", "gateway"}) {
    double requests = sum_of(m, "ipfskit_http_request_duration_seconds_count", "listener", l);
    double seconds = sum_of(m, "ipfskit_http_request_duration_seconds_sum", "listener", l);
    double errors = 0;
    if (m.contains("ipfskit_http_requests_total"))
      for (const auto& s : m["ipfskit_http_requests_total"])
        if (s["labels"]["listener"] == l && s["labels"]["code"].get<std::string>()[0] == '5') errors += s["value"].get<double>();
    char latency[32];
    std::snprintf(latency, sizeof latency, "%.2f ms", requests > 0 ? seconds / requests * 1000 : 0.0);
    rows.push_back({l, std::to_string(static_cast<uint64_t>(requests)), std::to_string(static_cast<uint64_t>(errors)),
                    human_bytes(static_cast<uint64_t>(sum_of(m, "ipfskit_http_response_bytes_total", "listener", l))),
                    latency});
  }
  print_columns(rows);
  std::printf("\nrepository: %llu blocks, %s of data, %s on disk, %llu pins\n",
              static_cast<unsigned long long>(sum_of(m, "ipfskit_repo_blocks")),
              human_bytes(static_cast<uint64_t>(sum_of(m, "ipfskit_repo_block_bytes"))).c_str(),
              human_bytes(static_cast<uint64_t>(sum_of(m, "ipfskit_repo_disk_bytes"))).c_str(),
              static_cast<unsigned long long>(sum_of(m, "ipfskit_pins")));
  std::printf("process:    %s resident, %.2f s CPU, %llu threads, %llu open files\n",
              human_bytes(static_cast<uint64_t>(sum_of(m, "process_resident_memory_bytes"))).c_str(),
              sum_of(m, "process_cpu_seconds_total"), static_cast<unsigned long long>(sum_of(m, "ipfskit_process_threads")),
              static_cast<unsigned long long>(sum_of(m, "process_open_fds")));
  return {};
}

}  // namespace

void register_ops(CLI::App& app, Context& ctx, Action& action) {
  auto detailed = std::make_shared<bool>(false);
  CLI::App* metrics = app.add_subcommand("metrics", "The daemon's metrics (a summary, or every series)");
  metrics->add_flag("--detailed", *detailed, "every series, as a table");
  metrics->callback([detailed, &ctx, &action] { action = [detailed, &ctx] { return show_metrics(ctx, *detailed); }; });
}

}  // namespace ipfskit::cli
