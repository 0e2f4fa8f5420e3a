// Storage backends: configuring them (backend add|rm|types: edits of
// config.json that a running daemon picks up), operating them through the
// daemon (list, status, start, stop, pins, push, unpin, verify, usage, get),
// their health (health check, health alerts), and logs (log tail, --backend).
// Every command goes through the client API (api/client.h).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <thread>

#include "cli/app.h"
#include "cli/output.h"
#include "config/backends.h"

namespace ipfskit::cli {

using nlohmann::json;

namespace {

// ---- configuration ----

// The configured backends (redacted), from the configuration file.
Result<json> configured(api::Client& client) {
  json j = TRY(client.config_get("backends"));
  return j.is_object() ? j : json::object();
}

// After an edit, waits (a few seconds at most) until a running daemon has
// reloaded it, so that the next command sees the change.
void wait_for_daemon(api::Client& client, const std::string& name, bool present) {
  if (client.where() != "daemon") return;
  for (int i = 0; i < 50; ++i) {
    auto j = client.backends(false);
    if (!j) return;
    if (j->contains(name) == present) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "warning: the daemon has not picked up the change yet (see ipfs-kit log tail)\n");
}

Status backend_add(Context& ctx, const std::string& name, const std::string& type_name, const std::vector<std::string>& kvs) {
  if (!valid_backend_name(name)) return invalid_argument("a backend name is 1-64 letters, digits, '_' or '-' (got \"" + name + "\")");
  const BackendType* type = find_backend_type(type_name);
  if (type == nullptr) return invalid_argument("unknown backend type \"" + type_name + "\" (one of: " + backend_type_names() + ")");
  api::Client* client = TRY(ctx.client());
  json existing = TRY(configured(*client));
  json section = json::object();
  if (const SeedBackend* seed = find_seed_backend(name)) {
    // The seeds' names exist already: `add` configures them once.
    if (existing.contains(name))
      for (auto& [k, v] : existing[name].items())
        if (k != "enabled" && k != "auto_start")
          return make_error(Code::kAlreadyExists, "backend " + name +
                                                      " is already configured; change it with: ipfs-kit config set backends." +
                                                      name + ".FIELD VALUE");
    if (type_name != seed->type)
      return invalid_argument("\"" + name + "\" is one of the seeds' backends and has type " + seed->type);
    if (existing.contains(name)) section = existing[name];
  } else if (existing.contains(name)) {
    return make_error(Code::kAlreadyExists, "backend " + name + " exists; remove it first (ipfs-kit backend rm " + name +
                                                ") or change it with: ipfs-kit config set backends." + name + ".FIELD VALUE");
  }
  section["type"] = type_name;
  for (const std::string& kv : kvs) {
    auto [key, value] = TRY(parse_key_value(kv));
    if (key == "type") return invalid_argument("give the type with --type");
    if (key.rfind("env.", 0) == 0) {
      if (!section.contains("env")) section["env"] = json::object();
      section["env"][key.substr(4)] = value;
      continue;
    }
    json v = TRY(parse_backend_value(type_name, key, value));
    // A list given several times accumulates: args=--port args=4568.
    if (v.is_array() && section.contains(key) && section[key].is_array()) {
      for (auto& e : v) section[key].push_back(e);
    } else {
      section[key] = v;
    }
  }
  auto missing = missing_fields(name, section);
  if (!missing.empty()) return invalid_argument(describe_missing(name, section, missing));
  std::string err = validate_backend(name, section);
  if (!err.empty()) return invalid_argument(err);
  json stored = TRY(client->config_set("backends." + name, section.dump(-1, ' ', false, json::error_handler_t::replace)));
  wait_for_daemon(*client, name, true);
  if (ctx.json) print_json({{"name", name}, {"config", stored}});
  else std::printf("backend %s added (type %s)\n", name.c_str(), type_name.c_str());
  return {};
}

Status backend_rm(Context& ctx, const std::string& name) {
  if (find_seed_backend(name) != nullptr)
    return invalid_argument("\"" + name + "\" is one of the seeds' backends and cannot be removed; disable it with: ipfs-kit config set backends." +
                            name + ".enabled false");
  api::Client* client = TRY(ctx.client());
  if (!TRY(configured(*client)).contains(name)) return not_found("no backend named \"" + name + "\"");
  TRY(client->config_set("backends." + name, "null"));
  wait_for_daemon(*client, name, false);
  if (ctx.json) print_json({{"name", name}, {"removed", true}});
  else std::printf("backend %s removed\n", name.c_str());
  return {};
}

Status show_backend_types(Context& ctx) {
  if (ctx.json) {
    json out = json::array();
    for (const auto& t : ipfskit::backend_types()) {
      json fields = json::array();
      for (const auto& f : t.fields)
        fields.push_back({{"name", f.name}, {"required", f.required}, {"secret", f.secret}, {"description", f.description}});
      json j = {{"type", t.name}, {"description", t.description}, {"fields", fields}};
      if (!t.unsupported_reason.empty()) j["unsupported"] = t.unsupported_reason;
      out.push_back(j);
    }
    print_json(out);
    return {};
  }
  for (const auto& t : ipfskit::backend_types()) {
    std::printf("%s: %s\n", t.name.c_str(), t.description.c_str());
    if (!t.unsupported_reason.empty()) std::printf("  unsupported: %s\n", t.unsupported_reason.c_str());
    for (const auto& f : t.fields)
      std::printf("  %-14s %s%s%s\n", f.name.c_str(), f.description.c_str(), f.required ? " (required)" : "",
                  f.secret ? " (secret)" : "");
    for (const auto& f : t.fields)
      if (f.secret) std::printf("  %-14s the name of an environment variable holding %s\n", (f.name + "_env").c_str(), f.name.c_str());
  }
  std::printf("\nEvery type also takes: ");
  bool first = true;
  for (const auto& f : common_backend_fields()) {
    if (f.name == "type") continue;
    std::printf("%s%s", first ? "" : ", ", f.name.c_str());
    first = false;
  }
  std::printf("\n");
  return {};
}

// ---- state, through the daemon ----

// The configured backends from config.json, when no daemon runs.
json offline_listing(api::Client& client) {
  json out = json::object();
  auto c = configured(client);
  if (!c) return out;
  for (auto& [name, section] : c->items()) {
    out[name] = {{"name", name},
                 {"type", backend_type_of(name, section).value_or("?")},
                 {"enabled", section.value("enabled", true)},
                 {"running", false},
                 {"health", "unknown"},
                 {"error", "no daemon is running"},
                 {"last_check", nullptr},
                 {"config", section}};
  }
  return out;
}

Status backend_list(Context& ctx, const std::string& only) {
  api::Client* client = TRY(ctx.client());
  json backends;
  auto live = client->backends(false);
  if (live) {
    backends = std::move(*live);
  } else if (live.error().code() == Code::kUnavailable) {
    backends = offline_listing(*client);
    if (!ctx.json) std::fprintf(stderr, "no daemon is running: showing the configuration only (ipfs-kit daemon start --detach)\n");
  } else {
    return tl::unexpected(live.error());
  }
  if (!only.empty()) {
    if (!backends.contains(only)) return not_found("unknown backend \"" + only + "\"");
    backends = json{{only, backends[only]}};
  }
  if (ctx.json) {
    print_json(backends);
    return {};
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "TYPE", "ENABLED", "RUNNING", "HEALTH", "LAST CHECK", "ERROR"}};
  for (auto& [name, b] : backends.items()) {
    std::string err = cell(b.value("error", json()));
    if (only.empty() && err.size() > 60) err = err.substr(0, 57) + "...";
    rows.push_back({name, cell(b["type"]), cell(b["enabled"]), cell(b["running"]), cell(b["health"]),
                    cell(b.value("last_check", json())), err});
  }
  print_columns(rows);
  if (only.empty()) return {};
  const json& b = backends[only];
  if (b.contains("process") && b["process"].is_object()) {
    const json& p = b["process"];
    std::printf("\nprocess: %s, pid %s, %s starts, %s restarts, last exit: %s\n  log: %s\n", cell(p["state"]).c_str(),
                cell(p["pid"]).c_str(), cell(p["starts"]).c_str(), cell(p["restarts"]).c_str(), cell(p["last_exit"]).c_str(),
                cell(p["log"]).c_str());
  }
  if (b.contains("capabilities") && b["capabilities"].is_object()) {
    std::string caps;
    for (auto& [k, v] : b["capabilities"].items())
      if (v.is_boolean() && v.get<bool>()) caps += (caps.empty() ? "" : ", ") + k;
    std::printf("\ncan: %s; proof of copies: %s\n", caps.empty() ? "nothing" : caps.c_str(), cell(b["capabilities"]["proof"]).c_str());
  }
  if (b.contains("config")) {
    std::printf("\nconfig:\n");
    for (auto& [k, v] : b["config"].items()) std::printf("  %-16s %s\n", (k + ":").c_str(), cell(v).c_str());
  }
  if (b.contains("details") && b["details"].is_object() && !b["details"].empty()) {
    std::printf("\nlast probe:\n");
    for (auto& [k, v] : b["details"].items()) std::printf("  %-16s %s\n", (k + ":").c_str(), cell(v).c_str());
  }
  if (b.contains("history") && b["history"].is_array() && !b["history"].empty()) {
    std::printf("\nrecent checks:\n");
    const auto& h = b["history"];
    for (size_t i = h.size() > 5 ? h.size() - 5 : 0; i < h.size(); ++i) {
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.1f ms", h[i]["latency_ms"].get<double>());
      std::printf("  %s  %-12s %9s  %s\n", cell(h[i]["at"]).c_str(), cell(h[i]["status"]).c_str(), ms, cell(h[i]["error"]).c_str());
    }
  }
  return {};
}

Status health_check(Context& ctx, const std::string& only) {
  api::Client* client = TRY(ctx.client());
  json health = TRY(client->health());
  // (No TRY inside a braced initializer: an early return there leaks the
  // members already built.)
  json backends;
  if (only.empty()) {
    backends = TRY(client->backends(true));
  } else {
    json one = TRY(client->backend_check(only));
    backends = json{{only, std::move(one)}};
  }
  // Unconfigured, unsupported and stopped backends do not fail the check;
  // one that is down does. A backend asked about by name must be up.
  bool healthy = true;
  for (auto& [name, b] : backends.items()) {
    const std::string h = b["health"].get<std::string>();
    if (h == "unhealthy") healthy = false;
    if (!only.empty() && h != "healthy" && h != "degraded") healthy = false;
  }
  if (only.empty() && health["status"] == "unhealthy") healthy = false;
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
    print_columns(rows);
  }
  if (!healthy) return make_error(Code::kUnavailable, only.empty() ? "unhealthy" : "backend " + only + " is not healthy");
  return {};
}

Status health_alerts(Context& ctx) {
  api::Client* client = TRY(ctx.client());
  json a = TRY(client->health_alerts());
  if (ctx.json) {
    print_json(a);
    return {};
  }
  std::vector<std::vector<std::string>> rows{{"ID", "BACKEND", "STARTED", "RESOLVED", "ERROR"}};
  for (const char* k : {"active", "recent"})
    for (const auto& x : a[k])
      rows.push_back({cell(x["id"]), cell(x["backend"]), cell(x["started_at"]), x["active"].get<bool>() ? "(active)" : cell(x["resolved_at"]),
                      cell(x["error"])});
  if (rows.size() == 1) std::printf("no alerts\n");
  else print_columns(rows);
  return {};
}

// ---- operations on one backend, through the daemon ----

Status backend_pins(Context& ctx, const std::string& name) {
  api::Client* client = TRY(ctx.client());
  json j = TRY(client->backend_pins(name));
  if (ctx.json) {
    print_json(j["pins"]);
    return {};
  }
  std::vector<std::vector<std::string>> rows{{"CID", "STATUS", "NAME", "META"}};
  for (const auto& p : j["pins"]) {
    std::string meta;
    for (auto& [k, v] : p["meta"].items()) meta += (meta.empty() ? "" : ",") + k + "=" + cell(v);
    rows.push_back({cell(p["cid"]), cell(p["status"]), cell(p["name"]), meta.empty() ? "-" : meta});
  }
  print_columns(rows);
  return {};
}

struct PushFlags {
  std::string name, cid, pin_name;
  std::vector<std::string> meta;
  bool verify = true;
  int replication_min = 0, replication_max = 0;
  bool has_name = false;
};

Status backend_push(Context& ctx, const PushFlags& f) {
  api::Client* client = TRY(ctx.client());
  api::BackendPushRequest req;
  req.cid = TRY(resolve_arg(*client, f.cid));
  if (f.has_name) req.name = f.pin_name;
  if (!f.meta.empty()) {
    req.meta.emplace();
    for (const auto& m : f.meta) {
      auto [k, v] = TRY(parse_key_value(m));
      (*req.meta)[k] = v;
    }
  }
  req.verify = f.verify;
  req.replication_min = f.replication_min;
  req.replication_max = f.replication_max;
  json r = TRY(client->backend_push(f.name, req));
  if (ctx.json) {
    print_json(r);
    return {};
  }
  const std::string proof = r["verified_by"].is_string() ? "verified by " + r["verified_by"].get<std::string>() : "NOT verified";
  std::printf("%s %s on %s: %s blocks, %s sent, %s (%.2f s)\n", cell(r["status"]).c_str(), cell(r["cid"]).c_str(), f.name.c_str(),
              cell(r["blocks"]).c_str(), human_bytes(r["bytes"].get<uint64_t>()).c_str(), proof.c_str(),
              r["seconds"].get<double>());
  return {};
}

Status backend_verify(Context& ctx, const std::string& name, const std::string& cid_text) {
  api::Client* client = TRY(ctx.client());
  Cid cid = TRY(resolve_arg(*client, cid_text));
  json r = TRY(client->backend_verify(name, cid));
  if (ctx.json) print_json(r);
  else if (r["ok"].get<bool>())
    std::printf("ok: %s blocks (%s) of %s read back from %s and re-hashed (%.2f s)\n", cell(r["blocks"]).c_str(),
                human_bytes(r["bytes"].get<uint64_t>()).c_str(), cell(r["cid"]).c_str(), name.c_str(), r["seconds"].get<double>());
  else
    std::printf("FAILED: %s missing and %s corrupt blocks of %s on %s (first: %s %s)\n", cell(r["missing"]).c_str(),
                cell(r["corrupt"]).c_str(), cell(r["cid"]).c_str(), name.c_str(), cell(r["missing_cids"]).c_str(),
                cell(r["corrupt_cids"]).c_str());
  if (!r["ok"].get<bool>()) return corruption("backend " + name + " does not hold " + cell(r["cid"]) + " intact");
  return {};
}

Status backend_get(Context& ctx, const std::string& name, const std::string& cid_text, const std::string& out) {
  api::Client* client = TRY(ctx.client());
  Cid cid = TRY(resolve_arg(*client, cid_text));
  Bytes data = TRY(client->backend_block(name, cid));
  if (out.empty()) return write_all(STDOUT_FILENO, data, "standard output");
  return write_file_atomic(out, data);
}

// ---- logs ----

// Prints the last `lines` lines of the daemon's (or a backend's) log, then
// (with follow) what is appended to the file, reopening it when rotated.
Status tail(Context& ctx, const std::string& backend, size_t lines, bool follow) {
  api::Client* client = TRY(ctx.client());
  api::LogQuery q;
  q.lines = lines;
  q.backend = backend;
  auto got = client->log_lines(q);
  if (!got && got.error().code() == Code::kNotFound && !backend.empty())
    return not_found("no log for backend " + backend + " (only backends with a command have one)");
  std::vector<std::string> last = TRY(std::move(got));
  if (ctx.json && !follow) {
    print_json({{"lines", last}});
    return {};
  }
  for (const auto& l : last) std::printf("%s\n", l.c_str());
  std::fflush(stdout);
  if (!follow) return {};
  const std::string path = ctx.repo_path() + (backend.empty() ? "/logs/daemon.log" : "/logs/backends/" + backend + ".log");
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("no log file at " + path);
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

void register_backend(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* backend = app.add_subcommand("backend", "Storage backends: configure, operate, check");
  backend->require_subcommand(1);

  struct AddArgs {
    std::string name, type;
    std::vector<std::string> fields;
  };
  auto aa = std::make_shared<AddArgs>();
  CLI::App* add = backend->add_subcommand("add", "Add a backend to config.json (see: backend types)");
  add->add_option("name", aa->name, "backend name")->required();
  add->add_option("--type", aa->type, "backend type")->required();
  add->add_option("fields", aa->fields, "the type's fields as KEY=VALUE (secrets also as KEY_env=VARIABLE)");
  add->callback([aa, &ctx, &action] { action = [aa, &ctx] { return backend_add(ctx, aa->name, aa->type, aa->fields); }; });

  auto rm_name = std::make_shared<std::string>();
  CLI::App* rm = backend->add_subcommand("rm", "Remove a backend from config.json");
  rm->alias("remove");
  rm->add_option("name", *rm_name, "backend name")->required();
  rm->callback([rm_name, &ctx, &action] { action = [rm_name, &ctx] { return backend_rm(ctx, *rm_name); }; });

  CLI::App* types = backend->add_subcommand("types", "The backend types and their fields");
  types->callback([&ctx, &action] { action = [&ctx] { return show_backend_types(ctx); }; });

  CLI::App* list = backend->add_subcommand("list", "List backends with their state");
  list->callback([&ctx, &action] { action = [&ctx] { return backend_list(ctx, ""); }; });
  auto status_name = std::make_shared<std::string>();
  CLI::App* status = backend->add_subcommand("status", "Show one backend in detail (or all)");
  status->add_option("name", *status_name, "backend name");
  status->callback([status_name, &ctx, &action] { action = [status_name, &ctx] { return backend_list(ctx, *status_name); }; });
  for (bool start : {true, false}) {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = backend->add_subcommand(start ? "start" : "stop",
                                            start ? "Start a backend (its process, or the embedded node's serving)"
                                                  : "Stop a backend (its process, or the embedded node's serving)");
    cmd->add_option("name", *name, "backend name")->required();
    cmd->callback([name, start, &ctx, &action] {
      action = [name, start, &ctx]() -> Status {
        api::Client* client = TRY(ctx.client());
        json j = TRY(client->set_backend_running(*name, start));
        if (ctx.json) print_json(j);
        else std::printf("backend %s %s\n", name->c_str(), start ? "started" : "stopped");
        return {};
      };
    });
  }
  auto health_name = std::make_shared<std::string>();
  CLI::App* health_cmd = backend->add_subcommand("health", "Check backend health now (as health check)");
  health_cmd->add_option("name", *health_name, "backend name");
  health_cmd->callback([health_name, &ctx, &action] { action = [health_name, &ctx] { return health_check(ctx, *health_name); }; });

  auto pins_name = std::make_shared<std::string>();
  CLI::App* pins = backend->add_subcommand("pins", "List the pins a backend holds (names, metadata, status)");
  pins->add_option("name", *pins_name, "backend name")->required();
  pins->callback([pins_name, &ctx, &action] { action = [pins_name, &ctx] { return backend_pins(ctx, *pins_name); }; });

  auto pf = std::make_shared<PushFlags>();
  CLI::App* push = backend->add_subcommand("push", "Copy a local DAG to a backend, pin it there, and verify the copy");
  push->add_option("name", pf->name, "backend name")->required();
  push->add_option("cid", pf->cid, "root CID (its blocks must be in the repository)")->required();
  push->add_option("--name", pf->pin_name, "pin name (default: the local pin's)")->each([pf](const std::string&) { pf->has_name = true; });
  push->add_option("--meta", pf->meta, "metadata key=value (default: the local pin's)");
  push->add_option("--verify", pf->verify, "read the copy back (default true; S3 checksums may prove it instead)");
  push->add_option("--replication-min", pf->replication_min, "ipfs_cluster: replication-min");
  push->add_option("--replication-max", pf->replication_max, "ipfs_cluster: replication-max");
  push->callback([pf, &ctx, &action] { action = [pf, &ctx] { return backend_push(ctx, *pf); }; });

  struct NameCid {
    std::string name, cid, out;
  };
  auto un = std::make_shared<NameCid>();
  CLI::App* unpin = backend->add_subcommand("unpin", "Remove a pin from a backend");
  unpin->add_option("name", un->name, "backend name")->required();
  unpin->add_option("cid", un->cid, "root CID")->required();
  unpin->callback([un, &ctx, &action] {
    action = [un, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      Cid cid = TRY(resolve_arg(*client, un->cid));
      json j = TRY(client->backend_unpin(un->name, cid));
      if (ctx.json) print_json(j);
      else std::printf("unpinned %s on %s\n", cid.to_string().c_str(), un->name.c_str());
      return {};
    };
  });

  auto vf = std::make_shared<NameCid>();
  CLI::App* verify = backend->add_subcommand("verify", "Read a DAG back from a backend and re-hash every block");
  verify->add_option("name", vf->name, "backend name")->required();
  verify->add_option("cid", vf->cid, "root CID")->required();
  verify->callback([vf, &ctx, &action] { action = [vf, &ctx] { return backend_verify(ctx, vf->name, vf->cid); }; });

  auto gf = std::make_shared<NameCid>();
  CLI::App* get = backend->add_subcommand("get", "Read one block from a backend (hash-checked)");
  get->add_option("name", gf->name, "backend name")->required();
  get->add_option("cid", gf->cid, "block CID")->required();
  get->add_option("-o,--output", gf->out, "write to this file instead of stdout");
  get->callback([gf, &ctx, &action] { action = [gf, &ctx] { return backend_get(ctx, gf->name, gf->cid, gf->out); }; });

  auto usage_name = std::make_shared<std::string>();
  CLI::App* usage = backend->add_subcommand("usage", "Space a backend uses (and has free, where it knows)");
  usage->add_option("name", *usage_name, "backend name")->required();
  usage->callback([usage_name, &ctx, &action] {
    action = [usage_name, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      json j = TRY(client->backend_usage(*usage_name));
      if (ctx.json) {
        print_json(j);
        return {};
      }
      const json& u = j["usage"];
      auto bytes = [](const json& v) { return v.is_number() ? human_bytes(v.get<uint64_t>()) : std::string("unknown"); };
      std::printf("%s: used %s, free %s, limit %s, %s blocks, %s pins\n", usage_name->c_str(), bytes(u["bytes_used"]).c_str(),
                  bytes(u["bytes_free"]).c_str(), bytes(u["bytes_limit"]).c_str(), cell(u["blocks"]).c_str(),
                  cell(u["pins"]).c_str());
      return {};
    };
  });

  CLI::App* health = app.add_subcommand("health", "Health of the daemon and its backends");
  health->require_subcommand(1);
  auto check_name = std::make_shared<std::string>();
  CLI::App* check = health->add_subcommand("check", "Check now; exit 0 only when no backend is down");
  check->add_option("name", *check_name, "only this backend (exit 0 only when it is up)");
  check->callback([check_name, &ctx, &action] { action = [check_name, &ctx] { return health_check(ctx, *check_name); }; });
  CLI::App* alerts = health->add_subcommand("alerts", "Outages: active and recently resolved");
  alerts->callback([&ctx, &action] { action = [&ctx] { return health_alerts(ctx); }; });

  CLI::App* log = app.add_subcommand("log", "The daemon's logs");
  log->require_subcommand(1);
  struct TailFlags {
    size_t lines = 20;
    bool follow = false;
    std::string backend;
  };
  auto tf = std::make_shared<TailFlags>();
  CLI::App* tail_cmd = log->add_subcommand("tail", "Show the last lines of the daemon's log (-f to follow)");
  tail_cmd->add_option("-n,--lines", tf->lines, "lines to show");
  tail_cmd->add_flag("-f,--follow", tf->follow, "keep printing new lines");
  tail_cmd->add_option("--backend", tf->backend, "a supervised backend's output (logs/backends/NAME.log)");
  tail_cmd->callback([tf, &ctx, &action] {
    action = [tf, &ctx]() -> Status {
      if (!tf->backend.empty() && !valid_backend_name(tf->backend))
        return invalid_argument("invalid backend name \"" + tf->backend + "\"");
      return tail(ctx, tf->backend, tf->lines, tf->follow);
    };
  });
}

}  // namespace ipfskit::cli
