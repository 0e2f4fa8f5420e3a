#include "cli/app.h"

#include "base/version.h"
#include "client/upload.h"

#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace ipfskit::cli {

std::string Context::repo_path() const {
  if (!repo_flag.empty()) return repo_flag;
  if (const char* env = std::getenv("IPFS_KIT_PATH"); env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.ipfs-kit";
}

std::string Context::config_path() const {
  if (!config_flag.empty()) return config_flag;
  return repo_path() + "/config.json";
}

Result<const Config*> Context::config() {
  if (!config_) config_ = TRY(Config::load_or_default(config_path()));
  return &*config_;
}

Result<core::Node*> Context::node() {
  if (!node_) node_ = TRY(core::Node::open(repo_path(), config_flag, workers));
  return node_.get();
}

Result<std::optional<daemon::State>> Context::running_daemon() {
  if (!daemon_) {
    const Config* c = TRY(config());
    auto pid_file = c->get("daemon.pid_file");
    daemon::Probe p = TRY(daemon::probe(repo_path(), pid_file && pid_file->is_string() ? pid_file->get<std::string>() : ""));
    daemon_ = p.liveness == daemon::Liveness::kRunning ? p.state : std::nullopt;
  }
  return *daemon_;
}

namespace {

Result<client::HttpClient> client_for(Context& ctx, bool api) {
  auto state = TRY(ctx.running_daemon());
  if (!state)
    return make_error(Code::kUnavailable, "no ipfs-kit daemon is running on " + ctx.repo_path() +
                                              " (start one with: ipfs-kit daemon start --detach)");
  const Config* c = TRY(ctx.config());
  auto token = c->get("daemon.api_token");
  return client::HttpClient("http://" + (api ? state->api : state->rpc),
                            token && token->is_string() ? token->get<std::string>() : "");
}

}  // namespace

Result<client::HttpClient> Context::api() { return client_for(*this, true); }
Result<client::HttpClient> Context::rpc() { return client_for(*this, false); }

Status Context::rpc_call(const std::string& command, const std::vector<std::pair<std::string, std::string>>& params,
                         const std::function<Status(const nlohmann::json&)>& on_line, unixfs::UploadSource* upload) {
  client::HttpClient c = TRY(rpc());
  std::string path = "/api/v0/" + command;
  char sep = '?';
  for (const auto& [k, v] : params) {
    path += sep + client::url_encode(k) + "=" + client::url_encode(v);
    sep = '&';
  }
  client::LineSplitter lines([&](std::string_view line) -> Status {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) return corruption("the daemon sent a malformed reply line");
    return on_line(j);
  });
  client::Response r;
  if (upload != nullptr) {
    client::MultipartBody body(*upload);
    r = TRY(c.post_stream(path, body.content_type(), [&](uint8_t* buf, size_t n) { return body.read(buf, n); },
                          [&](ByteView b) { return lines.feed(b); }));
  } else {
    r = TRY(c.post_stream(path, "", [](uint8_t*, size_t) -> Result<size_t> { return 0; },
                          [&](ByteView b) { return lines.feed(b); }));
  }
  if (r.status < 200 || r.status >= 300) return tl::unexpected(client::rpc_error(r));
  TRY_STATUS(lines.finish());
  if (!r.stream_error.empty()) {
    client::Response failed{500, "application/json", nlohmann::json{{"Message", r.stream_error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), ""};
    return tl::unexpected(client::rpc_error(failed));
  }
  return {};
}

Result<std::pair<std::string, std::string>> parse_key_value(const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) return invalid_argument("expected key=value, got \"" + kv + "\"");
  return std::make_pair(kv.substr(0, eq), kv.substr(eq + 1));
}

std::vector<std::string> split_commas(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& a : args) {
    size_t start = 0;
    for (;;) {
      size_t comma = a.find(',', start);
      std::string part = a.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

std::vector<std::string> read_stdin_words() {
  std::vector<std::string> out;
  std::string w;
  while (std::cin >> w) out.push_back(w);
  return out;
}

void print_json(const nlohmann::json& j) { std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str()); }

int run(int argc, char** argv) {
  // A closed pipe (`ipfs-kit cat x | head`) must end the command quietly,
  // through write errors, not kill it mid-write.
  std::signal(SIGPIPE, SIG_IGN);

  Context ctx;
  Action action;
  CLI::App app{"ipfs-kit: IPFS infrastructure in one binary", "ipfs-kit"};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("ipfs-kit ") + kVersion);
  app.add_option("--repo", ctx.repo_flag, "repository directory (default $IPFS_KIT_PATH or ~/.ipfs-kit)");
  app.add_option("--config", ctx.config_flag, "configuration file (default <repo>/config.json)");
  app.add_flag("--json", ctx.json, "machine-readable JSON output");
  std::string enc;
  app.add_option("--enc", enc, "output encoding: text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", ctx.debug, "verbose logging");
  app.add_option("--workers", ctx.workers, "worker threads (default: one per CPU)")->check(CLI::Range(1, 1024));

  register_node(app, ctx, action);
  register_add(app, ctx, action);
  register_content(app, ctx, action);
  register_block(app, ctx, action);
  register_dag(app, ctx, action);
  register_pin(app, ctx, action);
  register_repo(app, ctx, action);
  register_config(app, ctx, action);
  register_cid(app, ctx, action);
  register_daemon(app, ctx, action);
  register_ops(app, ctx, action);
  // The seeds' `ipfs add|get|cat|id` group: the same commands under `ipfs`.
  CLI::App* ipfs = app.add_subcommand("ipfs", "IPFS operations (the seeds' spelling of add, get, cat, id)");
  ipfs->require_subcommand(1);
  register_add(*ipfs, ctx, action);
  register_content(*ipfs, ctx, action);
  register_node(*ipfs, ctx, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "Error: %s (see 'ipfs-kit --help')\n", e.what());
    return exit_status(Code::kInvalidArgument);
  }
  if (enc == "json") ctx.json = true;
  if (!action) return exit_status(Code::kInternal);

  Status st = action();
  std::fflush(stdout);
  if (!st) {
    std::fprintf(stderr, "Error: %s\n", st.error().message().c_str());
    return exit_status(st.error().code());
  }
  if (std::ferror(stdout)) {
    std::fprintf(stderr, "Error: writing output: %s\n", std::strerror(errno));
    return exit_status(Code::kIOError);
  }
  return 0;
}

}  // namespace ipfskit::cli
