// ipfs-kit pin add|rm|ls|update|verify (and the seeds' remove/list spellings).
#include <cstdio>

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
    bool direct = false, recursive = true, parallel = false, progress = false;
    CLI::Option* name_opt = nullptr;
  };
  auto af = std::make_shared<AddFlags>();
  CLI::App* add = pin->add_subcommand("add", "Pin CIDs or paths (recursively by default); from standard input when none");
  add->add_option("cids", af->cids, "CIDs or paths; comma-separated lists with --parallel");
  af->name_opt = add->add_option("--name", af->name, "a name for the pins");
  add->add_option("--meta", af->meta, "key=value metadata (repeatable)")->allow_extra_args(false)->take_all();
  add->add_flag("--direct", af->direct, "pin only the block itself");
  add->add_flag("-r,--recursive", af->recursive, "pin the whole DAG (default true)");
  add->add_flag("--parallel", af->parallel, "accept comma-separated batches (a,b,c)");
  add->add_flag("--progress", af->progress, "show progress");
  add->callback([af, &ctx, &action] {
    action = [af, &ctx]() -> Status {
      std::vector<std::string> args = af->cids.empty() ? read_stdin_words() : af->cids;
      args = split_commas(args);
      if (args.empty()) return invalid_argument("argument \"ipfs-path\" is required");
      std::map<std::string, std::string> meta;
      for (const auto& kv : af->meta) {
        auto [k, v] = TRY(parse_key_value(kv));
        meta[k] = v;
      }
      const bool direct = af->direct || !af->recursive;
      auto print_pinned = [&](const std::string& cid) {
        if (ctx.json) print_json({{"Pins", {cid}}});
        else std::printf("pinned %s %s\n", cid.c_str(), direct ? "directly" : "recursively");
      };
      if (TRY(ctx.running_daemon())) {
        // Through the daemon, in batches that keep each request's query short.
        constexpr size_t kBatch = 1000;
        for (size_t i = 0; i < args.size(); i += kBatch) {
          std::vector<std::pair<std::string, std::string>> q = {{"recursive", direct ? "false" : "true"}};
          if (af->name_opt->count() > 0) q.emplace_back("name", af->name);
          if (!meta.empty()) q.emplace_back("metadata", nlohmann::json(meta).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
          for (size_t j = i; j < std::min(args.size(), i + kBatch); ++j) q.emplace_back("arg", args[j]);
          TRY_STATUS(ctx.rpc_call("pin/add", q, [&](const nlohmann::json& j) -> Status {
            if (!j.is_object() || !j.contains("Pins") || !j["Pins"].is_array()) return {};
            for (const auto& c : j["Pins"])
              if (c.is_string() && !af->progress) print_pinned(c.get<std::string>());
            return {};
          }));
          if (af->progress) std::fprintf(stderr, "\rpinned %zu of %zu", std::min(args.size(), i + kBatch), args.size());
        }
        if (af->progress) std::fprintf(stderr, "\n");
        return {};
      }
      core::Node* node = TRY(ctx.node());
      std::vector<repo::PinRequest> pins;
      pins.reserve(args.size());
      for (const auto& a : args) {
        repo::PinRequest p;
        auto parsed = Cid::parse(a);
        p.cid = parsed ? *parsed : TRY(node->resolve(a));
        p.type = direct ? repo::PinType::kDirect : repo::PinType::kRecursive;
        if (af->name_opt->count() > 0) p.name = af->name;
        p.meta = meta;
        pins.push_back(std::move(p));
      }
      std::unique_ptr<ProgressBar> bar;
      if (af->progress || (pins.size() > 1000 && stderr_is_terminal())) bar = std::make_unique<ProgressBar>(0);
      size_t done = 0;
      TRY_STATUS(node->pin_add(pins, [&](const Cid& c) {
        ++done;
        if (bar) {
          if (done % 100 == 0) {
            bar->clear_line();
            std::fprintf(stderr, "\rpinned %zu of %zu", done, pins.size());
          }
          return;
        }
        print_pinned(c.to_string());
      }));
      if (bar) std::fprintf(stderr, "\rpinned %zu of %zu\n", done, pins.size());
      return {};
    };
  });

  for (const char* verb : {"rm", "remove"}) {
    auto rm_args = std::make_shared<std::vector<std::string>>();
    CLI::App* rm = pin->add_subcommand(verb, "Remove pins (the blocks stay until garbage collection)");
    rm->add_option("cids", *rm_args, "CIDs or paths; comma-separated lists accepted")->required();
    rm->callback([rm_args, &ctx, &action] {
      action = [rm_args, &ctx]() -> Status {
        std::vector<std::string> removed;
        if (TRY(ctx.running_daemon())) {
          std::vector<std::pair<std::string, std::string>> q;
          for (const auto& a : split_commas(*rm_args)) q.emplace_back("arg", a);
          TRY_STATUS(ctx.rpc_call("pin/rm", q, [&](const nlohmann::json& j) -> Status {
            if (j.is_object() && j.contains("Pins") && j["Pins"].is_array())
              for (const auto& c : j["Pins"])
                if (c.is_string()) removed.push_back(c.get<std::string>());
            return {};
          }));
        } else {
          core::Node* node = TRY(ctx.node());
          std::vector<Cid> cids;
          for (const auto& a : split_commas(*rm_args)) {
            auto parsed = Cid::parse(a);
            cids.push_back(parsed ? *parsed : TRY(node->resolve(a)));
          }
          for (const Cid& c : TRY(node->pin_rm(cids))) removed.push_back(c.to_string());
        }
        for (const std::string& c : removed) {
          if (ctx.json) print_json({{"Pins", {c}}});
          else std::printf("unpinned %s\n", c.c_str());
        }
        return {};
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
        core::Node* node = TRY(ctx.node());
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
        if (lf->cids.empty()) return node->pin_ls(o, print);
        for (const auto& a : lf->cids) {
          auto parsed = Cid::parse(a);
          o.filter.cid = parsed ? *parsed : TRY(node->resolve(a));
          TRY_STATUS(node->pin_ls(o, print));
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
      std::string from, to;
      if (TRY(ctx.running_daemon())) {
        TRY_STATUS(ctx.rpc_call("pin/update", {{"arg", uf->from}, {"arg", uf->to}, {"unpin", uf->unpin ? "true" : "false"}},
                                [&](const nlohmann::json& j) -> Status {
                                  if (j.is_object() && j.contains("Pins") && j["Pins"].is_array() && j["Pins"].size() == 2 &&
                                      j["Pins"][0].is_string() && j["Pins"][1].is_string()) {
                                    from = j["Pins"][0].get<std::string>();
                                    to = j["Pins"][1].get<std::string>();
                                  }
                                  return {};
                                }));
        if (from.empty()) return corruption("the daemon sent a malformed pin/update reply");
      } else {
        core::Node* node = TRY(ctx.node());
        Cid f = TRY(node->resolve(uf->from));
        Cid t = TRY(node->resolve(uf->to));
        TRY_STATUS(node->pin_update(f, t, uf->unpin));
        from = f.to_string();
        to = t.to_string();
      }
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
      core::Node* node = TRY(ctx.node());
      size_t broken = 0, checked = 0;
      TRY_STATUS(node->pin_verify([&](const core::PinVerifyResult& r) -> Status {
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
