// ipfs-kit files ls|stat|read|write|mkdir|cp|mv|rm|flush|chcid|touch|chmod:
// Kubo's `ipfs files` (core/commands/files.go): its flags and its output.
// Through the client API (changes go to the daemon when one runs; reads
// are local).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "cli/app.h"

namespace ipfskit::cli {

namespace {

Status write_stdout(ByteView b) {
  size_t done = 0;
  while (done < b.size()) {
    ssize_t n = ::write(1, b.data() + done, b.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tl::unexpected(errno_error("write to standard output"));
    done += static_cast<size_t>(n);
  }
  return {};
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

// Go's os.FileMode(mode).String(), lower-cased, as Kubo prints it.
std::string mode_string(uint32_t perms, unixfs::NodeKind kind) {
  std::string s;
  if (kind == unixfs::NodeKind::kDirectory || kind == unixfs::NodeKind::kHAMTDirectory) s += 'd';
  else if (kind == unixfs::NodeKind::kSymlink) s += 'l';
  else s += '-';
  const char* rwx = "rwxrwxrwx";
  for (int i = 8; i >= 0; --i) s += (perms >> i) & 1 ? rwx[8 - i] : '-';
  return s;
}

// Kubo's `files stat` text: the format with its tokens replaced.
std::string format_stat(std::string f, const mfs::Stat& s) {
  const std::string unset = "not set";
  std::string mode = unset, mode_octal = unset, mtime = unset, secs = unset, nsecs = unset;
  uint32_t perms = s.mode.value_or(s.kind == unixfs::NodeKind::kSymlink ? 0777 : 0);
  if (perms != 0) {
    mode = mode_string(perms, s.kind);
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", perms & 0777);
    mode_octal = buf;
  }
  if (s.mtime && s.mtime->seconds > 0) {
    std::time_t t = static_cast<std::time_t>(s.mtime->seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%d %b %Y, %H:%M:%S UTC", &tm);
    mtime = buf[0] == '0' ? buf + 1 : buf;  // Go's "2 Jan 2006": no leading zero
    secs = std::to_string(s.mtime->seconds);
    nsecs = std::to_string(s.mtime->nanos.value_or(0));
  }
  replace_all(f, "<hash>", s.cid.to_string());
  replace_all(f, "<size>", std::to_string(s.size));
  replace_all(f, "<cumulsize>", std::to_string(s.cumulative_size));
  replace_all(f, "<childs>", std::to_string(s.blocks));
  replace_all(f, "<type>", s.type);
  replace_all(f, "<mode>", mode);
  replace_all(f, "<mode-octal>", mode_octal);
  replace_all(f, "<mtime>", mtime);
  replace_all(f, "<mtime-secs>", secs);
  replace_all(f, "<mtime-nsecs>", nsecs);
  return f;
}

const char* kDefaultStatFormat =
    "<hash>\nSize: <size>\nCumulativeSize: <cumulsize>\nChildBlocks: <childs>\nType: <type>\n"
    "Mode: <mode> (<mode-octal>)\nMtime: <mtime>";

struct Prefix {
  std::optional<int> cid_version;
  std::string hash;
  mfs::CidPrefix get() const {
    mfs::CidPrefix p;
    p.cid_version = cid_version;
    if (!hash.empty()) p.hash = hash;
    return p;
  }
};

void add_prefix_flags(CLI::App* cmd, Prefix& p) {
  cmd->add_option("--cid-version,--cid-ver", p.cid_version, "CID version of new nodes (default: the parent's)");
  cmd->add_option("--hash", p.hash, "hash function of new nodes (implies CID version 1)");
}

// Kubo's --flush (-f, default true): accepted; every change is durable when
// it returns, so --flush=false changes nothing.
void add_flush_flag(CLI::App* cmd) {
  static bool ignored = true;
  cmd->add_flag("-f,--flush{true}", ignored, "accepted for Kubo compatibility: every change is already flushed")
      ->default_str("true");
}

}  // namespace

void register_files(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* files = app.add_subcommand("files", "The mutable file system (MFS), as Kubo's `ipfs files`");
  files->require_subcommand(1);

  // ---- ls ----
  struct LsFlags {
    std::string path = "/";
    bool long_ = false, unsorted = false;
  };
  auto ls = std::make_shared<LsFlags>();
  CLI::App* ls_cmd = files->add_subcommand("ls", "List a directory (MFS or /ipfs/ path; default /)");
  ls_cmd->add_option("path", ls->path, "path");
  ls_cmd->add_flag("-l,--long", ls->long_, "long listing: name, CID, size");
  ls_cmd->add_flag("-U", ls->unsorted, "do not sort; directory order");
  ls_cmd->callback([ls, &ctx, &action] {
    action = [ls, &ctx]() -> Status {
      api::Client* f = TRY(ctx.client());
      std::vector<mfs::Listing> entries;
      TRY_STATUS(f->files_ls(ls->path, ls->long_, [&](const mfs::Listing& l) -> Status {
        entries.push_back(l);
        return {};
      }));
      if (!ls->unsorted)
        std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& e : entries)
          arr.push_back({{"Name", e.name}, {"Type", e.type}, {"Size", e.size}, {"Hash", ls->long_ ? e.cid.to_string() : ""}});
        print_json({{"Entries", arr}});
        return {};
      }
      for (const auto& e : entries) {
        if (ls->long_)
          std::printf("%s%s\t%s\t%llu\n", e.name.c_str(), e.type == 1 ? "/" : "", e.cid.to_string().c_str(),
                      static_cast<unsigned long long>(e.size));
        else
          std::printf("%s\n", e.name.c_str());
      }
      return {};
    };
  });

  // ---- stat ----
  struct StatFlags {
    std::string path, format = kDefaultStatFormat;
    bool hash = false, size = false, with_local = false;
  };
  auto st = std::make_shared<StatFlags>();
  CLI::App* stat_cmd = files->add_subcommand("stat", "Show a node's CID, sizes, type, mode and mtime");
  stat_cmd->add_option("path", st->path, "MFS or /ipfs/ path")->required();
  stat_cmd->add_option("--format", st->format,
                       "format with tokens <hash> <size> <cumulsize> <type> <childs> <mode> <mode-octal> <mtime> "
                       "<mtime-secs> <mtime-nsecs>");
  stat_cmd->add_flag("--hash", st->hash, "print only the CID");
  stat_cmd->add_flag("--size", st->size, "print only the cumulative size");
  stat_cmd->add_flag("--with-local", st->with_local, "also report how much of the DAG is local");
  stat_cmd->callback([st, &ctx, &action] {
    action = [st, &ctx]() -> Status {
      bool custom = st->format != kDefaultStatFormat;
      if ((st->hash && st->size) || (st->hash && custom) || (st->size && custom))
        return invalid_argument("format was set by multiple options. Only one format option is allowed");
      api::Client* f = TRY(ctx.client());
      mfs::Stat s = TRY(f->files_stat(st->path));
      std::optional<core::DagStat> local;
      bool is_local = true;
      if (st->with_local) {
        auto d = f->dag_stat(s.cid);
        is_local = d.has_value();
        if (d) local = *d;
      }
      if (ctx.json) {
        nlohmann::json j = {{"Hash", s.cid.to_string()}, {"Size", s.size}, {"CumulativeSize", s.cumulative_size},
                            {"Blocks", s.blocks}, {"Type", s.type}};
        if (s.mode) {
          char buf[16];
          std::snprintf(buf, sizeof buf, "%04o", *s.mode);
          j["Mode"] = buf;
        }
        if (s.mtime) j["Mtime"] = s.mtime->seconds;
        if (st->with_local) {
          j["WithLocality"] = true;
          j["Local"] = is_local;
          j["SizeLocal"] = local ? local->size : 0;
        }
        print_json(j);
        return {};
      }
      std::string format = st->hash ? "<hash>" : st->size ? "<cumulsize>" : st->format;
      std::printf("%s\n", format_stat(format, s).c_str());
      if (st->with_local)
        std::printf("Local: %llu of %llu (%.2f%%)\n", static_cast<unsigned long long>(local ? local->size : 0),
                    static_cast<unsigned long long>(s.cumulative_size),
                    s.cumulative_size ? 100.0 * static_cast<double>(local ? local->size : 0) / static_cast<double>(s.cumulative_size) : 100.0);
      return {};
    };
  });

  // ---- read ----
  struct ReadFlags {
    std::string path;
    int64_t offset = 0;
    std::optional<int64_t> count;
  };
  auto rd = std::make_shared<ReadFlags>();
  CLI::App* read_cmd = files->add_subcommand("read", "Write a file's bytes to standard output");
  read_cmd->add_option("path", rd->path, "MFS path")->required();
  read_cmd->add_option("-o,--offset", rd->offset, "byte offset to begin reading from");
  read_cmd->add_option("-n,--count", rd->count, "maximum number of bytes to read");
  read_cmd->callback([rd, &ctx, &action] {
    action = [rd, &ctx]() -> Status {
      if (rd->offset < 0) return invalid_argument("cannot specify negative offset");
      if (rd->count && *rd->count < 0) return invalid_argument("cannot specify negative 'count'");
      api::Client* f = TRY(ctx.client());
      std::optional<uint64_t> count;
      if (rd->count) count = static_cast<uint64_t>(*rd->count);
      return f->files_read(rd->path, static_cast<uint64_t>(rd->offset), count, write_stdout);
    };
  });

  // ---- write ----
  struct WriteFlags {
    std::string path, data;
    int64_t offset = 0;
    std::optional<int64_t> count;
    bool create = false, parents = false, truncate = false;
    std::optional<bool> raw_leaves;
    Prefix prefix;
  };
  auto wr = std::make_shared<WriteFlags>();
  CLI::App* write_cmd = files->add_subcommand("write", "Write to a file (data from a local file or standard input)");
  write_cmd->add_option("path", wr->path, "MFS path")->required();
  write_cmd->add_option("data", wr->data, "local file with the data (default: standard input)");
  write_cmd->add_option("-o,--offset", wr->offset, "byte offset to begin writing at");
  write_cmd->add_flag("-e,--create", wr->create, "create the file if it does not exist");
  write_cmd->add_flag("-p,--parents", wr->parents, "make parent directories as needed");
  write_cmd->add_flag("-t,--truncate", wr->truncate, "truncate the file to size zero before writing");
  write_cmd->add_option("-n,--count", wr->count, "maximum number of bytes to read");
  write_cmd->add_flag("--raw-leaves{true}", wr->raw_leaves, "use raw blocks for new leaves");
  add_prefix_flags(write_cmd, wr->prefix);
  add_flush_flag(write_cmd);
  write_cmd->callback([wr, &ctx, &action] {
    action = [wr, &ctx]() -> Status {
      if (wr->offset < 0) return invalid_argument("cannot have negative write offset");
      if (wr->count && *wr->count < 0) return invalid_argument("cannot have negative byte count");
      mfs::WriteOptions o;
      o.offset = static_cast<uint64_t>(wr->offset);
      if (wr->count) o.count = static_cast<uint64_t>(*wr->count);
      o.create = wr->create;
      o.parents = wr->parents;
      o.truncate = wr->truncate;
      o.raw_leaves = wr->raw_leaves;
      o.prefix = wr->prefix.get();
      UniqueFd file;
      int fd = 0;
      if (!wr->data.empty() && wr->data != "-") {
        file = TRY(open_file(wr->data, O_RDONLY | O_CLOEXEC));
        fd = file.get();
      }
      FdReader in(fd, wr->data.empty() ? "standard input" : wr->data);
      api::Client* f = TRY(ctx.client());
      return f->files_write(wr->path, in, o);
    };
  });

  // ---- mkdir ----
  struct MkdirFlags {
    std::string path;
    bool parents = false;
    Prefix prefix;
  };
  auto mk = std::make_shared<MkdirFlags>();
  CLI::App* mkdir_cmd = files->add_subcommand("mkdir", "Make a directory");
  mkdir_cmd->add_option("path", mk->path, "MFS path")->required();
  mkdir_cmd->add_flag("-p,--parents", mk->parents, "no error if existing, make parent directories as needed");
  add_prefix_flags(mkdir_cmd, mk->prefix);
  add_flush_flag(mkdir_cmd);
  mkdir_cmd->callback([mk, &ctx, &action] {
    action = [mk, &ctx]() -> Status {
      mfs::MkdirOptions o;
      o.parents = mk->parents;
      o.prefix = mk->prefix.get();
      return TRY(ctx.client())->files_mkdir(mk->path, o);
    };
  });

  // ---- cp ----
  struct CpFlags {
    std::string src, dst;
    bool force = false, parents = false;
  };
  auto cp = std::make_shared<CpFlags>();
  CLI::App* cp_cmd = files->add_subcommand("cp", "Link /ipfs/<cid> (without copying) or an MFS path at an MFS path");
  cp_cmd->add_option("source", cp->src, "/ipfs/ or MFS path")->required();
  cp_cmd->add_option("dest", cp->dst, "MFS path")->required();
  cp_cmd->add_flag("--force", cp->force, "overwrite an existing file");
  cp_cmd->add_flag("-p,--parents", cp->parents, "make parent directories as needed");
  add_flush_flag(cp_cmd);
  cp_cmd->callback([cp, &ctx, &action] {
    action = [cp, &ctx]() -> Status { return TRY(ctx.client())->files_cp(cp->src, cp->dst, cp->force, cp->parents); };
  });

  // ---- mv ----
  auto mv = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* mv_cmd = files->add_subcommand("mv", "Move (rename) within MFS");
  mv_cmd->add_option("source", mv->first, "MFS path")->required();
  mv_cmd->add_option("dest", mv->second, "MFS path")->required();
  add_flush_flag(mv_cmd);
  mv_cmd->callback([mv, &ctx, &action] {
    action = [mv, &ctx]() -> Status { return TRY(ctx.client())->files_mv(mv->first, mv->second); };
  });

  // ---- rm ----
  struct RmFlags {
    std::vector<std::string> paths;
    bool recursive = false, force = false;
  };
  auto rm = std::make_shared<RmFlags>();
  CLI::App* rm_cmd = files->add_subcommand("rm", "Remove files or directories");
  rm_cmd->add_option("path", rm->paths, "MFS paths")->required();
  rm_cmd->add_flag("-r,--recursive", rm->recursive, "remove directories and their contents");
  rm_cmd->add_flag("--force", rm->force, "no error for a missing path; implies -r for directories");
  add_flush_flag(rm_cmd);
  rm_cmd->callback([rm, &ctx, &action] {
    action = [rm, &ctx]() -> Status { return TRY(ctx.client())->files_rm(rm->paths, rm->recursive, rm->force); };
  });

  // ---- flush ----
  auto fl = std::make_shared<std::string>("/");
  CLI::App* flush_cmd = files->add_subcommand("flush", "Print the CID at a path (every change is already durable)");
  flush_cmd->add_option("path", *fl, "MFS path (default /)");
  flush_cmd->callback([fl, &ctx, &action] {
    action = [fl, &ctx]() -> Status {
      Cid c = TRY(TRY(ctx.client())->files_flush(*fl));
      if (ctx.json) print_json({{"Cid", c.to_string()}});
      else std::printf("%s\n", c.to_string().c_str());
      return {};
    };
  });

  // ---- chcid ----
  struct ChcidFlags {
    std::string path = "/";
    Prefix prefix;
  };
  auto ch = std::make_shared<ChcidFlags>();
  CLI::App* chcid_cmd = files->add_subcommand("chcid", "Change the CID version or hash of a directory (default /)");
  chcid_cmd->add_option("path", ch->path, "MFS path");
  add_prefix_flags(chcid_cmd, ch->prefix);
  add_flush_flag(chcid_cmd);
  chcid_cmd->callback([ch, &ctx, &action] {
    action = [ch, &ctx]() -> Status { return TRY(ctx.client())->files_chcid(ch->path, ch->prefix.get()); };
  });

  // ---- touch ----
  struct TouchFlags {
    std::string path;
    std::optional<int64_t> mtime;
    std::optional<uint32_t> nsecs;
  };
  auto to = std::make_shared<TouchFlags>();
  CLI::App* touch_cmd = files->add_subcommand("touch", "Set a node's modification time (default: now)");
  touch_cmd->add_option("path", to->path, "MFS path")->required();
  touch_cmd->add_option("--mtime", to->mtime, "seconds since the Unix epoch");
  touch_cmd->add_option("--mtime-nsecs", to->nsecs, "fraction in nanoseconds");
  add_flush_flag(touch_cmd);
  touch_cmd->callback([to, &ctx, &action] {
    action = [to, &ctx]() -> Status {
      int64_t s = to->mtime.value_or(static_cast<int64_t>(std::time(nullptr)));
      return TRY(ctx.client())->files_touch(to->path, s, to->nsecs);
    };
  });

  // ---- chmod ----
  auto cm = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* chmod_cmd = files->add_subcommand("chmod", "Set a node's POSIX mode (octal, e.g. 0644)");
  chmod_cmd->add_option("mode", cm->first, "mode in octal")->required();
  chmod_cmd->add_option("path", cm->second, "MFS path")->required();
  add_flush_flag(chmod_cmd);
  chmod_cmd->callback([cm, &ctx, &action] {
    action = [cm, &ctx]() -> Status {
      uint32_t mode = TRY(mfs::parse_mode(cm->first));
      return TRY(ctx.client())->files_chmod(cm->second, mode);
    };
  });
}

}  // namespace ipfskit::cli
