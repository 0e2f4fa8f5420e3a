// ipfs-kit dag export|import|stat: DAGs as CAR files.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/app.h"
#include "cli/output.h"
#include "client/upload.h"

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
      core::Node* node = TRY(ctx.node());
      Cid root = TRY(node->resolve(ef->root));
      if (ef->car_version == 2) {
        if (ef->output.empty()) return invalid_argument("CARv2 export needs --output FILE (its header is written last)");
        UniqueFd fd = TRY(open_file(ef->output, O_RDWR | O_CREAT | O_TRUNC, 0644));
        return node->dag_export_v2(root, fd.get(), ef->output);
      }
      UniqueFd file;
      int fd = STDOUT_FILENO;
      std::string name = "standard output";
      if (!ef->output.empty()) {
        file = TRY(open_file(ef->output, O_WRONLY | O_CREAT | O_TRUNC, 0644));
        fd = file.get();
        name = ef->output;
      }
      return node->dag_export(root, [&](ByteView b) { return write_all(fd, b, name); });
    };
  });

  struct ImportFlags {
    std::vector<std::string> files;
    bool pin_roots = true, stats = false;
  };
  auto imf = std::make_shared<ImportFlags>();
  CLI::App* imp = dag->add_subcommand("import", "Import CAR files (every block is verified before it is stored)");
  imp->add_option("files", imf->files, "CAR files; standard input when none");
  imp->add_flag("--pin-roots", imf->pin_roots, "pin the roots (default true; --pin-roots=false to skip)");
  imp->add_flag("--stats", imf->stats, "print how many blocks were imported");
  imp->callback([imf, &ctx, &action] {
    action = [imf, &ctx]() -> Status {
      std::vector<std::string> files = imf->files.empty() ? std::vector<std::string>{""} : imf->files;
      uint64_t blocks = 0, bytes = 0;
      auto print_root = [&](const std::string& root) {
        if (ctx.json) print_json({{"Root", {{"Cid", {{"/", root}}}, {"PinErrorMsg", ""}}}});
        else std::printf("Pinned root\t%s\tsuccess\n", root.c_str());
      };
      if (TRY(ctx.running_daemon())) {
        // The CARs go to the daemon in one upload; it verifies every block.
        for (const std::string& f : files)
          if (!f.empty()) TRY(open_file(f, O_RDONLY));  // a missing file fails before anything is sent
        client::FilesUpload upload(files);
        std::optional<Error> pin_error;
        TRY_STATUS(ctx.rpc_call(
            "dag/import", {{"pin-roots", imf->pin_roots ? "true" : "false"}, {"stats", "true"}},
            [&](const nlohmann::json& j) -> Status {
              if (!j.is_object()) return corruption("the daemon sent a malformed dag/import reply");
              if (j.contains("Root")) {
                std::string cid = j["Root"].value("Cid", nlohmann::json::object()).value("/", "");
                std::string err = j["Root"].value("PinErrorMsg", "");
                if (!err.empty()) pin_error = Error(Code::kIOError, "pinning root " + cid + ": " + err);
                else print_root(cid);
              }
              if (j.contains("Stats") && j["Stats"].is_object()) {
                blocks = j["Stats"].value("BlockCount", uint64_t{0});
                bytes = j["Stats"].value("BlockBytesCount", uint64_t{0});
              }
              return {};
            }, &upload));
        if (pin_error) return tl::unexpected(*pin_error);
        files.clear();
      } else {
        TRY(ctx.node());
      }
      for (const std::string& f : files) {
        core::Node* node = TRY(ctx.node());
        UniqueFd fd;
        int raw = STDIN_FILENO;
        if (!f.empty()) {
          fd = TRY(open_file(f, O_RDONLY));
          raw = fd.get();
        }
        FdReader in(raw, f.empty() ? "standard input" : f);
        auto report = node->dag_import(in, imf->pin_roots, [&](const Cid& root, const Status& st) {
          if (st) print_root(root.to_string());
        });
        if (!report) return tl::unexpected(f.empty() ? report.error() : report.error().wrap(f));
        blocks += report->blocks;
        bytes += report->bytes;
      }
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
      core::Node* node = TRY(ctx.node());
      for (const auto& p : *stat_paths) {
        Cid root = TRY(node->resolve(p));
        auto s = TRY(node->dag_stat(root));
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
