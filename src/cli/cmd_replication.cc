// ipfs-kit replication status|sync (through the client API: the daemon runs
// the passes) and ipfs-kit route inspect|stats (the replica index read
// directly from the repository: no daemon needed, and fast on large
// indexes); route suggest|optimize through the daemon (they need the
// backends' health and free space).
#include <sys/stat.h>

#include <cstdio>

#include "base/time.h"
#include "cli/app.h"
#include "cli/output.h"
#include "replication/index.h"
#include "repo/sqlite.h"

namespace ipfskit::cli {

using nlohmann::json;

namespace {

std::string replicas_text(const json& replicas) {
  std::string out;
  for (const auto& r : replicas) {
    out += "  " + r["backend"].get<std::string>() + "  " + r["status"].get<std::string>();
    if (r["verified_by"].is_string())
      out += "  verified by " + r["verified_by"].get<std::string>() + " at " + r["verified_at"].get<std::string>();
    if (r["error"].is_string()) out += "  error: " + escape_nonprint(r["error"].get<std::string>());
    out += "\n";
  }
  return out;
}

// The repository's index, opened for reading (the daemon may be running:
// SQLite's WAL lets readers in while it writes).
Result<std::unique_ptr<sql::Database>> open_index(Context& ctx) {
  const std::string path = ctx.repo_path() + "/index.sqlite";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return not_found("no repository at " + ctx.repo_path() + " (ipfs-kit init, or --repo)");
  return sql::Database::open(path, /*create=*/false);
}

Status route_inspect(Context& ctx, const std::string& arg) {
  auto cid = Cid::parse(arg);
  if (!cid) return invalid_argument("invalid CID \"" + arg + "\": " + cid.error().message());
  auto db = TRY(open_index(ctx));
  replication::ReplicaIndex index(*db);
  json replicas = json::array();
  for (const auto& r : TRY(index.replicas_of(*cid))) replicas.push_back(replication::to_json(r));
  if (ctx.json) {
    print_json({{"cid", cid->to_string()}, {"replicas", replicas}});
    return {};
  }
  std::printf("%s\n", cid->to_string().c_str());
  if (replicas.empty()) std::printf("  no replicas recorded\n");
  std::fputs(replicas_text(replicas).c_str(), stdout);
  return {};
}

Status route_stats(Context& ctx) {
  auto db = TRY(open_index(ctx));
  replication::ReplicaIndex index(*db);
  auto totals = TRY(index.totals());
  // Health, latency and errors come from a running daemon's registry.
  json live = json::object();
  if (auto client = ctx.client(); client && (*client)->where() == "daemon")
    if (auto b = (*client)->backends(false)) live = *b;
  json out = json::object();
  auto entry = [&](const std::string& name) -> json& {
    json& e = out[name];
    if (e.is_null()) {
      json states = json::object();
      for (auto st : replication::kAllStates) states[std::string(replication::state_name(st))] = 0;
      e = {{"replicas", states}, {"bytes", 0}, {"health", nullptr}, {"latency_ms", nullptr}, {"errors", 0}};
    }
    return e;
  };
  for (const auto& [name, t] : totals) {
    json& e = entry(name);
    for (const auto& [st, n] : t.replicas) e["replicas"][std::string(replication::state_name(st))] = n;
    e["bytes"] = t.pinned_bytes;
    auto err = t.replicas.find(replication::State::kPinError);
    e["errors"] = err == t.replicas.end() ? 0 : err->second;
  }
  for (auto& [name, b] : live.items()) {
    json& e = entry(name);
    if (b.contains("health")) e["health"] = b["health"];
    if (b.contains("response_time_ms")) e["latency_ms"] = b["response_time_ms"];
  }
  if (ctx.json) {
    print_json({{"backends", out}});
    return {};
  }
  std::printf("%-20s %8s %8s %8s %9s %14s  %s\n", "BACKEND", "PINNED", "PENDING", "ERRORS", "REMOVING", "BYTES", "HEALTH");
  for (auto& [name, e] : out.items()) {
    const auto& r = e["replicas"];
    const uint64_t pending = r["queued"].get<uint64_t>() + r["pinning"].get<uint64_t>();
    std::printf("%-20s %8llu %8llu %8llu %9llu %14llu  %s\n", name.c_str(),
                static_cast<unsigned long long>(r["pinned"].get<uint64_t>()), static_cast<unsigned long long>(pending),
                static_cast<unsigned long long>(r["pin_error"].get<uint64_t>()),
                static_cast<unsigned long long>(r["unpinning"].get<uint64_t>()),
                static_cast<unsigned long long>(e["bytes"].get<uint64_t>()),
                e["health"].is_string() ? e["health"].get<std::string>().c_str() : "(daemon not running)");
  }
  return {};
}

}  // namespace

void register_replication(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* rep = app.add_subcommand("replication", "Copies of pins across backends: status and sync");
  rep->require_subcommand(1);

  auto status_cid = std::make_shared<std::string>();
  CLI::App* status = rep->add_subcommand("status", "Replica counts, under-replicated pins; or one pin's copies");
  status->add_option("cid", *status_cid, "a pinned CID");
  status->callback([status_cid, &ctx, &action] {
    action = [status_cid, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      if (!status_cid->empty()) {
        auto cid = Cid::parse(*status_cid);
        if (!cid) return invalid_argument("invalid CID \"" + *status_cid + "\": " + cid.error().message());
        json j = TRY(client->replication_status_of(*cid));
        if (ctx.json) return print_json(j), Status{};
        std::printf("%s  policy %d..%d  verified %d%s\n", j["cid"].get<std::string>().c_str(),
                    j["policy"]["min"].get<int>(), j["policy"]["max"].get<int>(), j["verified"].get<int>(),
                    j["meets_minimum"].get<bool>() ? "" : "  UNDER-REPLICATED");
        std::fputs(replicas_text(j["replicas"]).c_str(), stdout);
        if (j["issue"].is_string()) std::printf("  issue: %s\n", j["issue"].get<std::string>().c_str());
        return {};
      }
      json j = TRY(client->replication_status());
      if (ctx.json) return print_json(j), Status{};
      std::printf("replication %s, auto_replication %s, min %d, max %d\n", j.value("enabled", false) ? "on" : "off",
                  j.value("auto_replication", false) ? "on" : "off", j.value("min_replicas", 0), j.value("max_replicas", 0));
      std::printf("pins %llu, under-replicated %llu\n", static_cast<unsigned long long>(j.value("pins", uint64_t{0})),
                  static_cast<unsigned long long>(j.value("under_replicated", uint64_t{0})));
      if (j.contains("backends"))
        for (auto& [name, b] : j["backends"].items()) {
          std::string counts;
          for (auto& [st, n] : b["replicas"].items())
            if (n.get<uint64_t>() > 0) counts += " " + st + "=" + std::to_string(n.get<uint64_t>());
          std::printf("  %-20s %s%s\n", name.c_str(), b.value("health", "").c_str(), counts.c_str());
        }
      if (j.contains("issues"))
        for (const auto& i : j["issues"])
          std::printf("  %s: %s\n", i["cid"].get<std::string>().c_str(), i["issue"].get<std::string>().c_str());
      return {};
    };
  });

  CLI::App* sync = rep->add_subcommand("sync", "Run a replication pass now; exit 0 when every pin meets its minimum");
  auto sync_flags = std::make_shared<BatchFlags>();
  sync_flags->progress_opt =
      sync->add_flag("--progress", sync_flags->progress, "show pins done/total on stderr (the default on a terminal)");
  sync->callback([sync_flags, &ctx, &action] {
    action = [sync_flags, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      // The bar counts the pins that need work; the daemon reports them as it
      // finishes them (none when every pin is already where it should be).
      // Interrupting the command closes its connection, and the daemon
      // cancels the pass at its next report.
      BatchReport bar(1, "pins", *sync_flags, /*terminal_min=*/0);
      api::ReplicationSyncRequest request;
      request.on_progress = [&bar](const json& p) {
        bar.set_progress(static_cast<size_t>(p.value("pins_done", uint64_t{0})),
                         static_cast<size_t>(p.value("pins_total", uint64_t{0})));
      };
      // On failure the bar is cleared (its destructor) before the error is printed.
      json j = TRY(client->replication_sync(request));
      const auto checked = static_cast<size_t>(j.value("checked", uint64_t{0}));
      if (j.value("status", "") != "cancelled") bar.set_progress(checked, checked);
      (void)bar.finish();  // the bar's last state; the report below is the outcome
      if (ctx.json) print_json(j);
      else {
        std::printf("checked %llu pins: %llu copies made, %llu pending, %llu failed, %llu removed; %llu under-replicated (%.2fs)\n",
                    static_cast<unsigned long long>(j.value("checked", uint64_t{0})),
                    static_cast<unsigned long long>(j.value("copied", uint64_t{0})),
                    static_cast<unsigned long long>(j.value("pending", uint64_t{0})),
                    static_cast<unsigned long long>(j.value("failed", uint64_t{0})),
                    static_cast<unsigned long long>(j.value("removed", uint64_t{0})),
                    static_cast<unsigned long long>(j.value("under_replicated", uint64_t{0})), j.value("seconds", 0.0));
        if (j.contains("errors"))
          for (const auto& e : j["errors"]) std::fprintf(stderr, "  %s\n", e.get<std::string>().c_str());
      }
      const uint64_t under = j.value("under_replicated", uint64_t{0});
      if (under > 0)
        return make_error(Code::kUnavailable, std::to_string(under) +
                                                  " pin(s) below their minimum of verified copies (ipfs-kit replication status)");
      return {};
    };
  });

  // Hidden, for bench/replication.sh: rows for N pins with a pinned copy on
  // each given backend, written through the same tables (and triggers) as
  // the daemon's; prints a CID from the middle for route inspect.
  struct GenerateFlags {
    uint64_t pins = 0, seed = 1;
    std::string backends = "ipfs";
  };
  auto gf = std::make_shared<GenerateFlags>();
  CLI::App* generate = rep->add_subcommand("generate-index", "bench: generate replica index rows");
  generate->group("");
  generate->add_option("--pins", gf->pins, "pins")->required()->check(CLI::Range(uint64_t{1}, uint64_t{100000000}));
  generate->add_option("--backends", gf->backends, "backend names, comma-separated");
  generate->add_option("--seed", gf->seed, "CID seed");
  generate->callback([gf, &ctx, &action] {
    action = [gf, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      if (client->where() == "daemon") return invalid_argument("stop the daemon first (generate-index writes the index directly)");
      auto db = TRY(open_index(ctx));
      TRY_STATUS(replication::ReplicaIndex::create_schema(*db));
      replication::ReplicaIndex index(*db);
      TRY_STATUS(index.generate(gf->pins, split_commas({gf->backends}), gf->seed, unix_seconds_now()));
      auto q = TRY(db->prepare("SELECT cid FROM replicas ORDER BY cid LIMIT 1 OFFSET ?1"));
      q.bind(1, static_cast<int64_t>(gf->pins / 2));
      if (!TRY(q.step())) return not_found("no rows were generated");
      auto cid = Cid::from_bytes(q.column_blob(0));
      if (!cid) return make_error(Code::kCorruption, "a generated CID does not parse");
      std::printf("%s\n", cid->to_string().c_str());
      return {};
    };
  });

  CLI::App* route = app.add_subcommand("route", "Where pins' copies are: inspect, stats (read from the repository)");
  route->require_subcommand(1);
  auto inspect_cid = std::make_shared<std::string>();
  CLI::App* inspect = route->add_subcommand("inspect", "Every replica of a pin: backend, state, verified how and when");
  inspect->add_option("cid", *inspect_cid, "the CID")->required();
  inspect->callback([inspect_cid, &ctx, &action] {
    action = [inspect_cid, &ctx]() -> Status { return route_inspect(ctx, *inspect_cid); };
  });
  CLI::App* stats = route->add_subcommand("stats", "Per backend: replicas by state, bytes, health, latency, errors");
  stats->callback([&ctx, &action] { action = [&ctx]() -> Status { return route_stats(ctx); }; });
  auto suggest_size = std::make_shared<uint64_t>(0);
  CLI::App* suggest = route->add_subcommand("suggest", "Where a new pin would go (through the daemon), and why");
  suggest->add_option("--size", *suggest_size, "the pin's size in bytes (backends without the free space are passed over)");
  suggest->callback([suggest_size, &ctx, &action] {
    action = [suggest_size, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      json j = TRY(client->route_suggest(*suggest_size));
      if (ctx.json) return print_json(j), Status{};
      const json& plan = j["plan"];
      std::printf("a new pin (policy %d..%d) would go to: %s\n", j["policy"]["min"].get<int>(),
                  j["policy"]["max"].get<int>(),
                  plan["add"].empty() ? "(nowhere else)" : plan["add"].dump().c_str());
      for (auto& [name, why] : plan["reasons"].items())
        std::printf("  %-20s %s\n", name.c_str(), why.get<std::string>().c_str());
      if (plan["error"].is_string()) std::printf("  %s\n", plan["error"].get<std::string>().c_str());
      return {};
    };
  });
  struct OptimizeFlags {
    std::vector<std::string> cids;
    bool apply = false;
  };
  auto of = std::make_shared<OptimizeFlags>();
  CLI::App* optimize = route->add_subcommand("optimize", "Move pins toward their policy: a plan, or --apply to act");
  optimize->add_option("cids", of->cids, "CIDs (default: every pin that needs work)");
  optimize->add_flag("--apply", of->apply, "make the moves");
  optimize->callback([of, &ctx, &action] {
    action = [of, &ctx]() -> Status {
      std::vector<Cid> cids;
      for (const auto& a : split_commas(of->cids)) {
        auto c = Cid::parse(a);
        if (!c) return invalid_argument("invalid CID \"" + a + "\": " + c.error().message());
        cids.push_back(*c);
      }
      api::Client* client = TRY(ctx.client());
      json j = TRY(client->route_optimize(cids, of->apply, nullptr));
      if (ctx.json) return print_json(j), Status{};
      if (j["plans"].empty()) std::printf("every pin meets its policy: nothing to move\n");
      for (const auto& p : j["plans"]) {
        const json& plan = p["plan"];
        std::printf("%s  verified %d, needed %d, wanted %d\n", p["cid"].get<std::string>().c_str(),
                    plan["verified"].get<int>(), plan["needed"].get<int>(), plan["wanted"].get<int>());
        for (const auto& a : plan["add"]) std::printf("  + %s\n", a.get<std::string>().c_str());
        for (const auto& a : plan["retry"]) std::printf("  ~ %s (retry)\n", a.get<std::string>().c_str());
        for (const auto& a : plan["drop"]) std::printf("  - %s\n", a.get<std::string>().c_str());
        if (plan["error"].is_string()) std::printf("  ! %s\n", plan["error"].get<std::string>().c_str());
      }
      if (j.contains("result")) {
        const json& r = j["result"];
        std::printf("applied: %llu copies made, %llu failed, %llu removed\n",
                    static_cast<unsigned long long>(r.value("copied", uint64_t{0})),
                    static_cast<unsigned long long>(r.value("failed", uint64_t{0})),
                    static_cast<unsigned long long>(r.value("removed", uint64_t{0})));
      } else if (!j["plans"].empty()) {
        std::printf("(a plan only: --apply makes the moves)\n");
      }
      return {};
    };
  });
}

}  // namespace ipfskit::cli
