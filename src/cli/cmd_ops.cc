// Operating a running daemon: backend list|status|start|stop, health check,
// metrics, and log tail (which reads the log files directly).
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

std::string cell(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Prints rows as aligned columns.
void table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

Status backend_list(Context& ctx, const std::string& only) {
  api::Client* client = TRY(ctx.client());
  nlohmann::json backends = TRY(client->backends(false));
  if (!only.empty()) {
    if (!backends.contains(only)) return not_found("unknown backend \"" + only + "\"");
    backends = nlohmann::json{{only, backends[only]}};
  }
  if (ctx.json) {
    print_json(backends);
    return {};
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "TYPE", "ENABLED", "RUNNING", "HEALTH", "LAST CHECK"}};
  for (auto& [name, b] : backends.items())
    rows.push_back({name, cell(b["type"]), cell(b["enabled"]), cell(b["running"]), cell(b["health"]), cell(b["last_check"])});
  table(rows);
  if (!only.empty()) {
    const auto& b = backends[only];
    if (!b["error"].is_null()) std::printf("\nerror: %s\n", b["error"].get<std::string>().c_str());
    if (b.contains("details") && !b["details"].empty()) {
      std::printf("\n");
      for (auto& [k, v] : b["details"].items()) std::printf("  %-12s %s\n", (k + ":").c_str(), cell(v).c_str());
    }
  }
  return {};
}

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
    table(rows);
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
  table(rows);
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

Status health_check(Context& ctx, const std::string& only) {
  api::Client* client = TRY(ctx.client());
  nlohmann::json health = TRY(client->health());
  nlohmann::json backends = TRY(client->backends(true));
  if (!only.empty()) {
    if (!backends.contains(only)) return not_found("unknown backend \"" + only + "\"");
    backends = nlohmann::json{{only, backends[only]}};
  }
  // A backend stopped on purpose does not make the daemon unhealthy, but a
  // backend asked about by name is healthy only when it serves.
  bool healthy = only.empty() ? health["status"] == "healthy" : true;
  for (auto& [name, b] : backends.items())
    if (b["health"] != "healthy" && (b["health"] != "stopped" || !only.empty())) healthy = false;
  if (ctx.json) {
    print_json({{"healthy", healthy}, {"daemon", health}, {"backends", backends}});
  } else {
    if (only.empty())
      std::printf("daemon: %s (pid %s, up %s s)\n", health["status"].get<std::string>().c_str(), cell(health["pid"]).c_str(),
                  cell(health["uptime_seconds"]).c_str());
    std::vector<std::vector<std::string>> rows{{"BACKEND", "HEALTH", "RESPONSE", "ERROR"}};
    for (auto& [name, b] : backends.items()) {
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.1f ms", b["response_time_ms"].get<double>());
      rows.push_back({name, cell(b["health"]), ms, cell(b["error"])});
    }
    table(rows);
  }
  if (!healthy) return make_error(Code::kUnavailable, "unhealthy");
  return {};
}

// Prints the last `lines` lines of the log, then (with follow) what is
// appended to the file at `path`, reopening it when it is rotated.
Status tail(Context& ctx, const std::string& path, size_t lines, bool follow) {
  api::Client* client = TRY(ctx.client());
  api::LogQuery q;
  q.lines = lines;
  for (const auto& l : TRY(client->log_lines(q))) std::printf("%s\n", l.c_str());
  std::fflush(stdout);
  if (!follow) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("no log file at " + path + " (has the daemon run on this repository?)");
  in.seekg(0, std::ios::end);
  std::streamoff pos = in.tellg();
  struct stat st;
  ino_t inode = ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  std::string partial;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (::stat(path.c_str(), &st) == 0 && (st.st_ino != inode || static_cast<std::streamoff>(st.st_size) < pos)) {
      // Rotated or truncated: read the rest of the old file, then the new one.
      std::string rest;
      while (std::getline(in, rest)) std::printf("%s\n", rest.c_str());
      in.close();
      in.open(path, std::ios::binary);
      inode = st.st_ino;
      pos = 0;
    }
    in.clear();
    in.seekg(pos);
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      partial.append(buf, static_cast<size_t>(in.gcount()));
      if (in.eof()) break;
    }
    in.clear();
    pos = in.tellg();
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      std::printf("%s\n", partial.substr(0, nl).c_str());
      partial.erase(0, nl + 1);
    }
    std::fflush(stdout);
    if (std::ferror(stdout)) return {};
  }
}

}  // namespace

void register_ops(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* backend = app.add_subcommand("backend", "Storage backends managed by the daemon");
  backend->require_subcommand(1);
  CLI::App* list = backend->add_subcommand("list", "List backends with their state");
  list->callback([&ctx, &action] { action = [&ctx] { return backend_list(ctx, ""); }; });
  auto status_name = std::make_shared<std::string>();
  CLI::App* status = backend->add_subcommand("status", "Show one backend (or all)");
  status->add_option("name", *status_name, "backend name");
  status->callback([status_name, &ctx, &action] { action = [status_name, &ctx] { return backend_list(ctx, *status_name); }; });
  for (bool start : {true, false}) {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = backend->add_subcommand(start ? "start" : "stop", start ? "Start serving a backend" : "Stop serving a backend");
    cmd->add_option("name", *name, "backend name")->required();
    cmd->callback([name, start, &ctx, &action] {
      action = [name, start, &ctx]() -> Status {
        api::Client* client = TRY(ctx.client());
        nlohmann::json j = TRY(client->set_backend_running(*name, start));
        if (ctx.json) print_json(j);
        else std::printf("backend %s %s\n", name->c_str(), start ? "started" : "stopped");
        return {};
      };
    });
  }
  auto health_name = std::make_shared<std::string>();
  CLI::App* health_cmd = backend->add_subcommand("health", "Check backend health now");
  health_cmd->add_option("name", *health_name, "backend name");
  health_cmd->callback([health_name, &ctx, &action] { action = [health_name, &ctx] { return health_check(ctx, *health_name); }; });

  CLI::App* health = app.add_subcommand("health", "Health of the daemon and its backends");
  health->require_subcommand(1);
  auto check_name = std::make_shared<std::string>();
  CLI::App* check = health->add_subcommand("check", "Check now; exit 0 only when healthy");
  check->add_option("name", *check_name, "only this backend");
  check->callback([check_name, &ctx, &action] { action = [check_name, &ctx] { return health_check(ctx, *check_name); }; });

  auto detailed = std::make_shared<bool>(false);
  CLI::App* metrics = app.add_subcommand("metrics", "The daemon's metrics (a summary, or every series)");
  metrics->add_flag("--detailed", *detailed, "every series, as a table");
  metrics->callback([detailed, &ctx, &action] { action = [detailed, &ctx] { return show_metrics(ctx, *detailed); }; });

  CLI::App* log = app.add_subcommand("log", "The daemon's logs");
  log->require_subcommand(1);
  struct TailFlags {
    size_t lines = 20;
    bool follow = false;
  };
  auto tf = std::make_shared<TailFlags>();
  CLI::App* tail_cmd = log->add_subcommand("tail", "Show the last lines of the daemon's log (-f to follow)");
  tail_cmd->add_option("-n,--lines", tf->lines, "lines to show");
  tail_cmd->add_flag("-f,--follow", tf->follow, "keep printing new lines");
  tail_cmd->callback([tf, &ctx, &action] {
    action = [tf, &ctx] { return tail(ctx, ctx.repo_path() + "/logs/daemon.log", tf->lines, tf->follow); };
  });
}

}  // namespace ipfskit::cli
