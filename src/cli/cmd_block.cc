// ipfs-kit block get|put|stat|rm: raw blocks.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/app.h"
#include "multiformats/multicodec.h"

namespace ipfskit::cli {

void register_block(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* block = app.add_subcommand("block", "Work with raw blocks");
  block->require_subcommand(1);

  auto get_cid = std::make_shared<std::string>();
  CLI::App* get = block->add_subcommand("get", "Write a block's bytes to standard output");
  get->add_option("cid", *get_cid, "the block's CID")->required();
  get->callback([get_cid, &ctx, &action] {
    action = [get_cid, &ctx]() -> Status {
      Cid cid = TRY(Cid::parse(*get_cid));
      api::Client* client = TRY(ctx.client());
      Bytes data = TRY(client->block_get(cid));
      return write_all(STDOUT_FILENO, data, "standard output");
    };
  });

  struct PutFlags {
    std::vector<std::string> files;
    std::string codec = "raw", mhtype = "sha2-256", format;
    int cid_version = 1;
    bool pin = false;
  };
  auto pf = std::make_shared<PutFlags>();
  CLI::App* put = block->add_subcommand("put", "Store blocks read from files or standard input; print their CIDs");
  put->add_option("files", pf->files, "files holding one block each; standard input when none");
  put->add_option("--cid-codec", pf->codec, "multicodec of the block (default raw)");
  put->add_option("--mhtype", pf->mhtype, "hash function (default sha2-256)");
  put->add_option("--cid-version", pf->cid_version, "CID version (default 1)");
  put->add_option("-f,--format", pf->format, "legacy: v0 stores a dag-pb block under a CIDv0");
  put->add_flag("--pin", pf->pin, "pin the block directly");
  put->callback([pf, &ctx, &action] {
    action = [pf, &ctx]() -> Status {
      auto codec = multicodec::codec_by_name(pf->codec);
      if (!codec) return invalid_argument("unknown multicodec \"" + pf->codec + "\"");
      auto hash = multihash::by_name(pf->mhtype);
      if (!hash || !hash->implemented) return invalid_argument("unrecognized hash function \"" + pf->mhtype + "\"");
      int version = pf->cid_version;
      if (pf->format == "v0") {
        codec = multicodec::kDagPb;
        version = 0;
      } else if (!pf->format.empty()) {
        auto c = multicodec::codec_by_name(pf->format == "protobuf" ? "dag-pb" : pf->format == "cbor" ? "dag-cbor" : pf->format);
        if (!c) return invalid_argument("unknown format \"" + pf->format + "\"");
        codec = *c;
      }
      if (version != 0 && version != 1) return invalid_argument("invalid CID version " + std::to_string(version));
      std::vector<std::string> files = pf->files.empty() ? std::vector<std::string>{""} : pf->files;
      auto print_put = [&](const std::string& cid, uint64_t size) {
        if (ctx.json) print_json({{"Key", cid}, {"Size", size}});
        else std::printf("%s\n", cid.c_str());
      };
      api::Client* client = TRY(ctx.client());
      for (const std::string& f : files) {
        Bytes data;
        if (f.empty()) {
          FdReader in(STDIN_FILENO, "standard input");
          uint8_t buf[65536];
          for (;;) {
            size_t n = TRY(in.read(buf, sizeof buf));
            if (n == 0) break;
            data.insert(data.end(), buf, buf + n);
            if (data.size() > unixfs::kBlockSizeLimit) break;  // block_put reports the limit
          }
        } else {
          data = TRY(read_file(f));
        }
        api::BlockPutRequest req{*codec, hash->code, version, pf->pin};
        core::BlockStat stored = TRY(client->block_put(data, req));
        print_put(stored.cid.to_string(), stored.size);
      }
      return {};
    };
  });

  auto stat_cids = std::make_shared<std::vector<std::string>>();
  CLI::App* stat = block->add_subcommand("stat", "Print a block's key and size");
  stat->add_option("cids", *stat_cids, "CIDs")->required();
  stat->callback([stat_cids, &ctx, &action] {
    action = [stat_cids, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      for (const auto& s : *stat_cids) {
        Cid cid = TRY(Cid::parse(s));
        auto st = TRY(client->block_stat(cid));
        if (ctx.json) print_json({{"Key", cid.to_string()}, {"Size", st.size}});
        else std::printf("Key: %s\nSize: %llu\n", cid.to_string().c_str(), static_cast<unsigned long long>(st.size));
      }
      return {};
    };
  });

  struct RmFlags {
    std::vector<std::string> cids;
    bool force = false, quiet = false;
    BatchFlags batch;
  };
  auto rf = std::make_shared<RmFlags>();
  CLI::App* rm = block->add_subcommand("rm", "Remove blocks (pinned blocks are kept)");
  rm->add_option("cids", rf->cids, "CIDs; comma-separated lists accepted")->required();
  rm->add_flag("-f,--force", rf->force, "ignore blocks that do not exist");
  rm->add_flag("-q,--quiet", rf->quiet, "print nothing on success");
  add_batch_flags(rm, rf->batch);
  rm->callback([rf, &ctx, &action] {
    action = [rf, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      std::vector<std::string> args = split_commas(rf->cids);
      BatchReport report(args.size(), "blocks", rf->batch);
      std::vector<Cid> cids;
      for (const auto& a : args) {
        auto cid = Cid::parse(a);
        if (!cid) report.failed(cid.error().wrap("invalid CID \"" + a + "\""));
        else cids.push_back(*cid);
      }
      TRY_STATUS(client->block_rm(cids, [&](const Cid& c, const Status& st) {
        if (!st && !(rf->force && st.error().code() == Code::kNotFound)) return report.failed(st.error());
        report.succeeded();
        if (st && !rf->quiet) report.print("removed " + c.to_string());
      }));
      return report.finish();
    };
  });
}

}  // namespace ipfskit::cli
