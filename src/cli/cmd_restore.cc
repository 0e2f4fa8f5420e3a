// `backend restore NAME [--dry-run] [--json]`: every pin a backend holds,
// back into the repository with its name, metadata and content
// (retrieval/restore.h). Through the client API: the daemon does it when one
// runs, this process otherwise. Each pin's outcome is a line; a progress bar
// on a terminal; the exit status is the batch's (0 when no pin failed).
#include <cstdio>

#include "cli/app.h"
#include "cli/output.h"

namespace ipfskit::cli {

using nlohmann::json;

namespace {

struct RestoreFlags {
  std::string name;
  bool dry_run = false;
  BatchFlags batch;
};

uint64_t u64(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<uint64_t>() : 0;
}

std::string pin_line(const json& p) {
  std::string line = p.value("status", "?");
  line.resize(std::max<size_t>(line.size(), 13), ' ');
  line += " " + p.value("cid", "?");
  const std::string name = p.value("name", "");
  if (!name.empty()) line += "  " + name;
  const uint64_t fetched = u64(p, "blocks_fetched");
  if (fetched > 0) {
    line += "  (" + std::to_string(fetched) + " blocks, " + human_bytes(u64(p, "bytes_fetched")) + " fetched";
    if (u64(p, "blocks_repaired") > 0) line += ", " + std::to_string(u64(p, "blocks_repaired")) + " repaired";
    line += ")";
  } else if (p.value("status", "") == "would_restore") {
    line += "  (" + std::to_string(u64(p, "missing")) + " blocks missing here, at least)";
  }
  return line;
}

Status backend_restore(Context& ctx, const RestoreFlags& f) {
  api::Client* client = TRY(ctx.client());
  // The number of pins is known once the backend listed them (the first
  // progress report); until then the bar counts one.
  BatchReport report(1, "pins", f.batch, /*terminal_min=*/0);
  json pins = json::array();
  api::BackendRestoreRequest request;
  request.dry_run = f.dry_run;
  request.on_progress = [&](const json& p) {
    report.set_total(static_cast<size_t>(u64(p, "pins_total")));
    report.set_detail(std::to_string(u64(p, "blocks_fetched")) + " blocks (" + human_bytes(u64(p, "bytes_fetched")) +
                      ") fetched");
  };
  request.on_pin = [&](const json& p) {
    if (ctx.json) pins.push_back(p);
    else report.print(pin_line(p));
    if (p.value("status", "") == "failed") {
      Code code = Code::kInternal;
      if (p.contains("code") && p["code"].is_string())
        if (auto c = code_by_name(p["code"].get<std::string>())) code = *c;
      report.failed(Error(code, p.value("error", std::string("failed"))));
    } else {
      report.succeeded();
    }
  };
  json summary = TRY(client->backend_restore(f.name, request));
  report.set_total(static_cast<size_t>(u64(summary, "pins")));
  // The bar's last state, then the summary; the batch's outcome is the exit status.
  Status outcome = report.finish();
  if (ctx.json) {
    summary["pins_restored"] = std::move(pins);
    print_json(summary);
    return outcome;
  }
  std::string line = std::string(f.dry_run ? "dry run: " : "") + "from " + f.name + ": " +
                     std::to_string(u64(summary, "pins")) + " pins, " + std::to_string(u64(summary, "restored")) +
                     " restored, " + std::to_string(u64(summary, "complete")) + " already complete, ";
  if (f.dry_run) line += std::to_string(u64(summary, "would_restore")) + " to restore, ";
  line += std::to_string(u64(summary, "skipped")) + " skipped, " + std::to_string(u64(summary, "failed")) +
          " failed; " + std::to_string(u64(summary, "blocks_fetched")) + " blocks (" +
          human_bytes(u64(summary, "bytes_fetched")) + ") fetched";
  if (u64(summary, "blocks_repaired") > 0) line += ", " + std::to_string(u64(summary, "blocks_repaired")) + " repaired";
  std::printf("%s in %.2f s\n", line.c_str(), summary.value("seconds", 0.0));
  return outcome;
}

}  // namespace

void register_restore(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* backend = app.get_subcommand("backend");  // registered by cmd_backend.cc
  auto f = std::make_shared<RestoreFlags>();
  CLI::App* restore = backend->add_subcommand(
      "restore", "Bring back every pin a backend holds (names, metadata, content), verified; re-running resumes");
  restore->add_option("name", f->name, "backend name (one that lists pins and serves blocks: kubo, s3, filesystem, ...)")
      ->required();
  restore->add_flag("--dry-run", f->dry_run, "only report what would be restored");
  f->batch.progress_opt = restore->add_flag("--progress", f->batch.progress, "show pins done/total and bytes fetched on stderr");
  restore->callback([f, &ctx, &action] { action = [f, &ctx] { return backend_restore(ctx, *f); }; });
}

}  // namespace ipfskit::cli
