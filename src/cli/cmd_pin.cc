// ipfs-kit pin add|rm|ls|update|verify (and the seeds' remove/list spellings).
#include <cstdio>
#include <thread>

#include "cli/app.h"
#include "cli/output.h"

namespace ipfskit::cli {

namespace {

std::string meta_text(const std::map<std::string, std::string>& meta) {
  std::string s;
  for (const auto& [k, v] : meta) s += (s.empty() ? "" : ",") + escape_nonprint(k) + "=" + escape_nonprint(v);
  return s;
}

nlohmann::json pin_json(const core::PinEntry& e, bool with_meta) {
  nlohmann::json j = {{"Cid", e.cid.to_string()}, {"Type", e.type}};
  if (e.info) {
    if (e.info->name) j["Name"] = *e.info->name;
    j["Created"] = e.info->created;
    if (with_meta) j["Metadata"] = e.info->meta;
  }
  return j;
}

}  // namespace

void register_pin(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* pin = app.add_subcommand("pin", "Pin content so that garbage collection keeps it");
  pin->require_subcommand(1);

  struct AddFlags {
    std::vector<std::string> cids, meta;
    std::string name;
    bool direct = false, recursive = true;
    BatchFlags batch;
    CLI::Option* name_opt = nullptr;
    int replication_min = 0, replication_max = 0;
    std::string allocations;
  };
  auto af = std::make_shared<AddFlags>();
  CLI::App* add = pin->add_subcommand("add", "Pin CIDs or paths (recursively by default); from standard input when none");
  add->add_option("cids", af->cids, "CIDs or paths; comma-separated lists accepted");
  af->name_opt = add->add_option("--name", af->name, "a name for the pins");
  add->add_option("--meta", af->meta, "key=value metadata (repeatable)")->allow_extra_args(false)->take_all();
  add->add_flag("--direct", af->direct, "pin only the block itself");
  add->add_flag("-r,--recursive", af->recursive, "pin the whole DAG (default true)");
  add->add_option("--replication-min", af->replication_min, "fewest verified copies across backends (default replication.min_replicas)")
      ->check(CLI::Range(1, repo::kMaxReplicas));
  add->add_option("--replication-max", af->replication_max, "most copies across backends (default replication.max_replicas)")
      ->check(CLI::Range(1, repo::kMaxReplicas));
  add->add_option("--allocations", af->allocations, "backends to place the copies on first (comma-separated)");
  add_batch_flags(add, af->batch);
  add->callback([af, &ctx, &action] {
    action = [af, &ctx]() -> Status {
      std::vector<std::string> args = split_commas(af->cids.empty() ? read_stdin_words() : af->cids);
      if (args.empty()) return invalid_argument("argument \"ipfs-path\" is required");
      std::map<std::string, std::string> meta;
      for (const auto& kv : af->meta) {
        auto [k, v] = TRY(parse_key_value(kv));
        meta[k] = v;
      }
      const bool direct = af->direct || !af->recursive;
      api::Client* client = TRY(ctx.client());
      BatchReport report(args.size(), "pins", af->batch);
      std::vector<repo::PinRequest> pins;
      pins.reserve(args.size());
      for (const auto& a : args) {
        auto cid = resolve_arg(*client, a);
        if (!cid) {
          report.failed(cid.error());
          continue;
        }
        repo::PinRequest p;
        p.cid = *cid;
        p.type = direct ? repo::PinType::kDirect : repo::PinType::kRecursive;
        if (af->name_opt->count() > 0) p.name = af->name;
        p.meta = meta;
        if (af->replication_min > 0) p.replication.min = af->replication_min;
        if (af->replication_max > 0) p.replication.max = af->replication_max;
        p.replication.allocations = split_commas({af->allocations});
        TRY_STATUS(repo::validate_pin(p));
        pins.push_back(std::move(p));
      }
      auto on_result = [&](const Cid& c, const Status& st) {
        if (!st) return report.failed(st.error());
        report.succeeded();
        if (ctx.json) report.print(nlohmann::json({{"Pins", {c.to_string()}}}).dump());
        else report.print("pinned " + c.to_string() + (direct ? " directly" : " recursively"));
      };
      std::vector<Status> calls;
      if (af->batch.parallel && pins.size() > 1) {
        // Shards pinned side by side: their DAG checks run in parallel, the
        // index writes take turns.
        const size_t n = std::min<size_t>(pins.size(), ctx.workers > 0 ? ctx.workers : std::max(1u, std::thread::hardware_concurrency()));
        std::vector<std::vector<repo::PinRequest>> shards(n);
        for (size_t i = 0; i < pins.size(); ++i) shards[i * n / pins.size()].push_back(pins[i]);
        calls.resize(n);
        std::vector<std::thread> threads;
        for (size_t i = 0; i < n; ++i)
          threads.emplace_back([&, i] { calls[i] = client->pin_add(shards[i], on_result, nullptr); });
        for (auto& t : threads) t.join();
      } else {
        calls.push_back(client->pin_add(pins, on_result, nullptr));
      }
      for (auto& c : calls) TRY_STATUS(c);
      return report.finish();
    };
  });

  for (const char* verb : {"rm", "remove"}) {
    struct RmFlags {
      std::vector<std::string> cids;
      BatchFlags batch;
    };
    auto rf = std::make_shared<RmFlags>();
    CLI::App* rm = pin->add_subcommand(verb, "Remove pins (the blocks stay until garbage collection)");
    rm->add_option("cids", rf->cids, "CIDs or paths; comma-separated lists accepted")->required();
    add_batch_flags(rm, rf->batch);
    rm->callback([rf, &ctx, &action] {
      action = [rf, &ctx]() -> Status {
        api::Client* client = TRY(ctx.client());
        std::vector<std::string> args = split_commas(rf->cids);
        BatchReport report(args.size(), "pins", rf->batch);
        std::vector<Cid> cids;
        for (const auto& a : args) {
          auto cid = resolve_arg(*client, a);
          if (!cid) report.failed(cid.error());
          else cids.push_back(*cid);
        }
        TRY_STATUS(client->pin_rm(cids, [&](const Cid& c, const Status& st) {
          if (!st) return report.failed(st.error());
          report.succeeded();
          if (ctx.json) report.print(nlohmann::json({{"Pins", {c.to_string()}}}).dump());
          else report.print("unpinned " + c.to_string());
        }));
        return report.finish();
      };
    });
  }

  for (const char* verb : {"ls", "list"}) {
    struct LsFlags {
      std::vector<std::string> cids;
      std::string type = "all", name;
      uint64_t limit = 0;
      bool metadata = false, quiet = false, names = false;
      CLI::Option* name_opt = nullptr;
    };
    auto lf = std::make_shared<LsFlags>();
    CLI::App* ls = pin->add_subcommand(verb, "List pins");
    ls->add_option("cids", lf->cids, "show how these CIDs are pinned");
    ls->add_option("-t,--type", lf->type, "all, recursive, direct or indirect")
        ->check(CLI::IsMember({"all", "recursive", "direct", "indirect"}));
    lf->name_opt = ls->add_option("--name", lf->name, "only pins whose name contains this");
    ls->add_option("--limit", lf->limit, "at most this many pins");
    ls->add_flag("--metadata", lf->metadata, "show names and metadata");
    ls->add_flag("-n,--names", lf->names, "show pin names");
    ls->add_flag("-q,--quiet", lf->quiet, "print only the CIDs");
    ls->callback([lf, &ctx, &action] {
      action = [lf, &ctx]() -> Status {
        api::Client* client = TRY(ctx.client());
        core::PinListOptions o;
        o.filter.limit = lf->limit;
        o.filter.with_meta = lf->metadata;
        if (lf->name_opt->count() > 0) o.filter.name = lf->name;
        if (lf->type == "recursive") o.filter.type = repo::PinType::kRecursive;
        if (lf->type == "direct") o.filter.type = repo::PinType::kDirect;
        o.indirect = lf->type == "all" || lf->type == "indirect";
        o.explicit_pins = lf->type != "indirect";
        auto print = [&](const core::PinEntry& e) -> Status {
          if (ctx.json) {
            print_json(pin_json(e, lf->metadata));
          } else if (lf->quiet) {
            std::printf("%s\n", e.cid.to_string().c_str());
          } else {
            std::string line = e.cid.to_string() + " " + e.type;
            if ((lf->names || lf->metadata) && e.info && e.info->name) line += " " + escape_nonprint(*e.info->name);
            if (lf->metadata && e.info && !e.info->meta.empty()) line += " " + meta_text(e.info->meta);
            std::printf("%s\n", line.c_str());
          }
          return {};
        };
        if (lf->cids.empty()) return client->pin_ls(o, print);
        for (const auto& a : lf->cids) {
          o.filter.cid = TRY(resolve_arg(*client, a));
          TRY_STATUS(client->pin_ls(o, print));
        }
        return {};
      };
    });
  }

  struct UpdateFlags {
    std::string from, to;
    bool unpin = true;
  };
  auto uf = std::make_shared<UpdateFlags>();
  CLI::App* update = pin->add_subcommand("update", "Move a recursive pin (its name and metadata) to a new CID");
  update->add_option("from", uf->from, "the pinned CID")->required();
  update->add_option("to", uf->to, "the CID to pin instead")->required();
  update->add_flag("--unpin", uf->unpin, "remove the old pin (default true)");
  update->callback([uf, &ctx, &action] {
    action = [uf, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      Cid f = TRY(resolve_arg(*client, uf->from));
      Cid t = TRY(resolve_arg(*client, uf->to));
      TRY_STATUS(client->pin_update(f, t, uf->unpin));
      const std::string from = f.to_string(), to = t.to_string();
      if (ctx.json) print_json({{"Pins", {from, to}}});
      else std::printf("updated %s to %s\n", from.c_str(), to.c_str());
      return {};
    };
  });

  struct VerifyFlags {
    bool verbose = false, quiet = false;
  };
  auto vf = std::make_shared<VerifyFlags>();
  CLI::App* verify = pin->add_subcommand("verify", "Check that every pinned DAG is present and intact");
  verify->add_flag("--verbose", vf->verbose, "also print the pins that are fine");
  verify->add_flag("-q,--quiet", vf->quiet, "print only the CIDs of broken pins");
  verify->callback([vf, &ctx, &action] {
    action = [vf, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      size_t broken = 0, checked = 0;
      TRY_STATUS(client->pin_verify([&](const core::PinVerifyResult& r) -> Status {
        ++checked;
        if (!r.ok) ++broken;
        if (ctx.json) {
          print_json({{"Cid", r.cid.to_string()}, {"Ok", r.ok}, {"Problems", r.problems}});
        } else if (vf->quiet) {
          if (!r.ok) std::printf("%s\n", r.cid.to_string().c_str());
        } else if (r.ok) {
          if (vf->verbose) std::printf("%s ok\n", r.cid.to_string().c_str());
        } else {
          std::printf("%s broken\n", r.cid.to_string().c_str());
          for (const auto& p : r.problems) std::printf("  %s\n", p.c_str());
        }
        return {};
      }));
      if (broken > 0) return corruption(std::to_string(broken) + " of " + std::to_string(checked) + " pins are broken");
      return {};
    };
  });
}

}  // namespace ipfskit::cli
