// ipfs-kit cid format|base32|bases|codecs|hashes: Kubo's `ipfs cid` commands.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "multiformats/cid.h"
#include "multiformats/cid_format.h"
#include "multiformats/multicodec.h"

namespace ipfskit::cli {

namespace {

struct FormatFlags {
  std::vector<std::string> cids;
  std::string fmt = "%s", version, codec, base;
};

// Reads CIDs from the arguments, or one per line from standard input.
std::vector<std::string> inputs(const std::vector<std::string>& args) {
  if (!args.empty()) return args;
  std::vector<std::string> out;
  std::string line;
  while (std::getline(std::cin, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start != std::string::npos) out.push_back(line.substr(start));
  }
  return out;
}

Status run_format(const FormatFlags& f, bool force_base32) {
  CidFormatter formatter = force_base32 ? CidFormatter::base32()
                                        : TRY(CidFormatter::make({f.fmt, f.version, f.codec, f.base}));
  // Each bad CID is reported on its own line; the last one becomes the
  // command's error (so one bad CID gives exactly one line).
  std::optional<Error> last_error;
  for (const std::string& text : inputs(f.cids)) {
    auto formatted = formatter.format(text);
    if (formatted) {
      std::printf("%s\n", formatted->c_str());
      continue;
    }
    if (last_error) std::fprintf(stderr, "Error: %s\n", last_error->message().c_str());
    last_error = formatted.error().wrap(text);
  }
  if (last_error) return tl::unexpected(*last_error);
  return {};
}

}  // namespace

void register_cid(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* cid = app.add_subcommand("cid", "Convert and discover properties of CIDs");
  cid->require_subcommand(1);

  auto ff = std::make_shared<FormatFlags>();
  CLI::App* fmt = cid->add_subcommand("format", "Format and convert CIDs (printf-style, as `ipfs cid format`)");
  fmt->add_option("cids", ff->cids, "CIDs to format; read from standard input when none");
  fmt->add_option("-f", ff->fmt, "format string (%s %S %b %B %v %V %c %C %h %H %L %m %M %d %D %P)");
  fmt->add_option("-v", ff->version, "CID version to convert to");
  fmt->add_option("--mc", ff->codec, "multicodec to convert to");
  fmt->add_option("-b", ff->base, "multibase to display the CID in");
  fmt->callback([ff, &action] { action = [ff] { return run_format(*ff, false); }; });

  auto bf = std::make_shared<FormatFlags>();
  CLI::App* b32 = cid->add_subcommand("base32", "Convert CIDs to base32 CIDv1");
  b32->add_option("cids", bf->cids, "CIDs to convert; read from standard input when none");
  b32->callback([bf, &action] { action = [bf] { return run_format(*bf, true); }; });

  auto prefix = std::make_shared<bool>(false);
  auto numeric = std::make_shared<bool>(false);
  CLI::App* bases = cid->add_subcommand("bases", "List available multibase encodings");
  bases->add_flag("--prefix", *prefix, "also show the one-character prefix");
  bases->add_flag("--numeric", *numeric, "also show the numeric code");
  bases->callback([prefix, numeric, &ctx, &action] {
    action = [prefix, numeric, &ctx]() -> Status {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& b : multibase::all_bases()) {
        const int code = static_cast<unsigned char>(static_cast<char>(b.base));
        if (ctx.json) {
          list.push_back({{"Code", code}, {"Name", b.name}});
        } else if (*prefix && *numeric) {
          std::printf("%c %7d  %s\n", static_cast<char>(b.base), code, std::string(b.name).c_str());
        } else if (*prefix) {
          std::printf("%c  %s\n", static_cast<char>(b.base), std::string(b.name).c_str());
        } else if (*numeric) {
          std::printf("%7d  %s\n", code, std::string(b.name).c_str());
        } else {
          std::printf("%s\n", std::string(b.name).c_str());
        }
      }
      if (ctx.json) std::printf("%s\n", list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return {};
    };
  });

  auto codecs_numeric = std::make_shared<bool>(false);
  CLI::App* codecs = cid->add_subcommand("codecs", "List available CID multicodecs");
  codecs->add_flag("-n,--numeric", *codecs_numeric, "also show the numeric code");
  codecs->callback([codecs_numeric, &ctx, &action] {
    action = [codecs_numeric, &ctx]() -> Status {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& c : multicodec::ipld_codecs()) {
        if (ctx.json) list.push_back({{"Code", c.code}, {"Name", c.name}});
        else if (*codecs_numeric) std::printf("%5llu  %s\n", static_cast<unsigned long long>(c.code), std::string(c.name).c_str());
        else std::printf("%s\n", std::string(c.name).c_str());
      }
      if (ctx.json) std::printf("%s\n", list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return {};
    };
  });

  auto hashes_numeric = std::make_shared<bool>(false);
  CLI::App* hashes = cid->add_subcommand("hashes", "List available multihashes");
  hashes->add_flag("-n,--numeric", *hashes_numeric, "also show the numeric code");
  hashes->callback([hashes_numeric, &ctx, &action] {
    action = [hashes_numeric, &ctx]() -> Status {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& h : multihash::all_hashes()) {
        if (!h.allowed) continue;
        if (ctx.json) list.push_back({{"Code", h.code}, {"Name", h.name}});
        else if (*hashes_numeric) std::printf("%5llu  %s\n", static_cast<unsigned long long>(h.code), std::string(h.name).c_str());
        else std::printf("%s\n", std::string(h.name).c_str());
      }
      if (ctx.json) std::printf("%s\n", list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return {};
    };
  });
}

}  // namespace ipfskit::cli
