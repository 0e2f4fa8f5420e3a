// ipfs-kit dag export|import|stat: DAGs as CAR files.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/app.h"
#include "cli/output.h"
#include "car/car.h"
#include "dag/dag.h"
#include <mutex>

namespace ipfskit::cli {

void register_dag(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* dag = app.add_subcommand("dag", "Work with DAGs: export and import CAR files");
  dag->require_subcommand(1);

  struct ExportFlags {
    std::string root, output;
    int car_version = 1;
  };
  auto ef = std::make_shared<ExportFlags>();
  CLI::App* exp = dag->add_subcommand("export", "Write a DAG as a CAR (CARv1 to standard output by default)");
  exp->add_option("root", ef->root, "the root CID or path")->required();
  exp->add_option("-o,--output", ef->output, "write to this file instead of standard output");
  exp->add_option("--car-version", ef->car_version, "1 (default) or 2 (with an index; needs --output)");
  exp->callback([ef, &ctx, &action] {
    action = [ef, &ctx]() -> Status {
      if (ef->car_version != 1 && ef->car_version != 2) return invalid_argument("--car-version must be 1 or 2");
      api::Client* client = TRY(ctx.client());
      Cid root = TRY(client->resolve(ef->root));
      if (ef->car_version == 2) {
        if (ef->output.empty()) return invalid_argument("CARv2 export needs --output FILE (its header is written last)");
        UniqueFd fd = TRY(open_file(ef->output, O_RDWR | O_CREAT | O_TRUNC, 0644));
        // The same walk as a CARv1 export (depth first, each block once),
        // into the CARv2 writer, which adds the index.
        api::ClientBlockSource blocks(*client);
        car::V2Writer w(fd.get(), ef->output);
        TRY_STATUS(w.begin({root}));
        TRY_STATUS(dag::walk(blocks, root, [&](const Cid& c, ByteView data) { return w.write_block(c, data); }));
        return w.finish();
      }
      UniqueFd file;
      int fd = STDOUT_FILENO;
      std::string name = "standard output";
      if (!ef->output.empty()) {
        file = TRY(open_file(ef->output, O_WRONLY | O_CREAT | O_TRUNC, 0644));
        fd = file.get();
        name = ef->output;
      }
      return client->dag_export(root, [&](ByteView b) { return write_all(fd, b, name); });
    };
  });

  struct ImportFlags {
    std::vector<std::string> files;
    bool pin_roots = true, stats = false;
    BatchFlags batch;
  };
  auto imf = std::make_shared<ImportFlags>();
  CLI::App* imp = dag->add_subcommand("import", "Import CAR files (every block is verified before it is stored)");
  imp->add_option("files", imf->files, "CAR files; standard input when none");
  imp->add_flag("--pin-roots", imf->pin_roots, "pin the roots (default true; --pin-roots=false to skip)");
  imp->add_flag("--stats", imf->stats, "print how many blocks were imported");
  add_batch_flags(imp, imf->batch);
  imp->callback([imf, &ctx, &action] {
    action = [imf, &ctx]() -> Status {
      std::vector<std::string> files = imf->files.empty() ? std::vector<std::string>{""} : imf->files;
      if (imf->batch.parallel) files = split_commas(files);
      std::mutex mu;
      uint64_t blocks = 0, bytes = 0;
      api::Client* client = TRY(ctx.client());
      BatchReport report(files.size(), "CAR files", imf->batch);
      TRY_STATUS(run_items(files, imf->batch, ctx.workers, report, [&](const std::string& f) -> Status {
        UniqueFd fd;
        int raw = STDIN_FILENO;
        if (!f.empty()) {
          fd = TRY(open_file(f, O_RDONLY));
          raw = fd.get();
        }
        FdReader in(raw, f.empty() ? "standard input" : f);
        auto imported = client->dag_import(in, imf->pin_roots, [&](const Cid& root, const Status& st) {
          if (!st) return;
          if (ctx.json) report.print(nlohmann::json({{"Root", {{"Cid", {{"/", root.to_string()}}}, {"PinErrorMsg", ""}}}}).dump());
          else report.print("Pinned root\t" + root.to_string() + "\tsuccess");
        });
        if (!imported) return tl::unexpected(f.empty() ? imported.error() : imported.error().wrap(f));
        std::lock_guard lock(mu);
        blocks += imported->blocks;
        bytes += imported->bytes;
        return {};
      }));
      if (imf->stats) {
        if (ctx.json) print_json({{"Stats", {{"BlockCount", blocks}, {"BlockBytesCount", bytes}}}});
        else std::printf("Imported %llu blocks (%llu bytes)\n", static_cast<unsigned long long>(blocks),
                         static_cast<unsigned long long>(bytes));
      }
      return {};
    };
  });

  auto stat_paths = std::make_shared<std::vector<std::string>>();
  CLI::App* stat = dag->add_subcommand("stat", "Count a DAG's unique blocks and their total size");
  stat->add_option("roots", *stat_paths, "CIDs or paths")->required();
  stat->callback([stat_paths, &ctx, &action] {
    action = [stat_paths, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      for (const auto& p : *stat_paths) {
        Cid root = TRY(client->resolve(p));
        auto s = TRY(client->dag_stat(root));
        if (ctx.json)
          print_json({{"Cid", {{"/", root.to_string()}}}, {"Size", s.size}, {"NumBlocks", s.blocks}});
        else
          std::printf("Size: %llu, NumBlocks: %llu\n", static_cast<unsigned long long>(s.size),
                      static_cast<unsigned long long>(s.blocks));
      }
      return {};
    };
  });
}

}  // namespace ipfskit::cli
