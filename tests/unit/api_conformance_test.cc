// The client API's conformance suite (Kubo's coreiface/tests pattern): the
// same tests against every implementation, so that a front end behaves the
// same whether it works on the repository or through a daemon.
//  - local:  LocalClient on a repository, no daemon;
//  - remote: RemoteClient to a real daemon (the ipfs-kit binary, started on
//            its own repository with free ports), every call over the wire;
//  - routed: api::open() with that daemon running (reads local, writes remote).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "api/local.h"
#include "api/open.h"
#include "api/remote.h"
#include "car/car.h"
#include "http/server.h"
#include "test_util.h"

namespace ipfskit {
namespace {

using api::Client;

// Runs the ipfs-kit binary with arguments; returns its exit status.
int run_kit(const std::vector<std::string>& args) {
  std::string cmd = std::string("'") + IPFSKIT_BINARY + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " > /dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ApiConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    repo_ = tmp_.file("repo");
    // Every listener on a free port: the suite runs beside other daemons.
    api::LocalClient setup(api::LocalOptions{repo_, "", 2});
    for (const char* k : {"daemon.api_address", "daemon.rpc_address", "daemon.gateway_address", "daemon.mcp_address"})
      ASSERT_TRUE(setup.config_set(k, "127.0.0.1:0"));
    if (GetParam() == "local") {
      client_ = std::make_unique<api::LocalClient>(api::LocalOptions{repo_, "", 2});
      return;
    }
    ASSERT_EQ(run_kit({"--repo", repo_, "daemon", "start", "--detach"}), 0);
    daemon_ = true;
    auto endpoints = api::find_daemon(api::OpenOptions{repo_, "", 2});
    ASSERT_TRUE(endpoints && *endpoints);
    if (GetParam() == "remote") {
      client_ = std::make_unique<api::RemoteClient>(**endpoints);
    } else {
      auto c = api::open(api::OpenOptions{repo_, "", 2});
      ASSERT_TRUE(c);
      client_ = std::move(*c);
    }
  }
  void TearDown() override {
    client_.reset();
    if (daemon_) run_kit({"--repo", repo_, "daemon", "stop"});
  }

  Client& c() { return *client_; }

  Cid add_text(const std::string& s, api::AddRequest r = {}) {
    MemoryReader in(ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    r.stream = &in;
    auto cid = c().add(r);
    EXPECT_TRUE(cid) << cid.error().message();
    return cid ? *cid : Cid();
  }

  std::string cat_all(const std::string& path, uint64_t offset = 0, std::optional<uint64_t> len = std::nullopt) {
    std::string out;
    auto st = c().cat(path, offset, len, [&](ByteView b) -> Status {
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
      return {};
    });
    EXPECT_TRUE(st) << st.error().message();
    return out;
  }

  std::set<std::string> pinned() {
    std::set<std::string> out;
    core::PinListOptions o;
    o.indirect = false;
    EXPECT_TRUE(c().pin_ls(o, [&](const core::PinEntry& e) -> Status {
      out.insert(e.cid.to_string());
      return {};
    }));
    return out;
  }

  test::TempDir tmp_;
  std::string repo_;
  bool daemon_ = false;
  std::unique_ptr<Client> client_;
};

TEST_P(ApiConformance, WhereNamesTheImplementation) {
  EXPECT_EQ(c().where(), GetParam() == "local" ? "local" : "daemon");
}

TEST_P(ApiConformance, AddsAStreamWithKubosCidAndPinsIt) {
  api::AddRequest r;
  r.pin_name = "greeting";
  r.pin_meta = {{"team", "infra"}};
  std::vector<std::string> names;
  r.on_added = [&](const unixfs::AddedEntry& e) { names.push_back(e.cid.to_string()); };
  Cid cid = add_text("hello world\n", r);
  EXPECT_EQ(cid.to_string(), "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  EXPECT_EQ(names, std::vector<std::string>{cid.to_string()});
  EXPECT_EQ(cat_all(cid.to_string()), "hello world\n");
  EXPECT_EQ(cat_all(cid.to_string(), 6, 5), "world");
  auto info = c().stat(cid.to_string());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->kind, unixfs::NodeKind::kFile);
  EXPECT_EQ(info->size, 12u);
  core::PinListOptions o;
  o.filter.cid = cid;
  o.filter.with_meta = true;
  int found = 0;
  ASSERT_TRUE(c().pin_ls(o, [&](const core::PinEntry& e) -> Status {
    ++found;
    EXPECT_EQ(e.type, "recursive");
    EXPECT_TRUE(e.info && e.info->name == std::optional<std::string>("greeting"));
    EXPECT_TRUE(e.info && e.info->meta == (std::map<std::string, std::string>{{"team", "infra"}}));
    EXPECT_TRUE(e.info && e.info->created > 0);
    return {};
  }));
  EXPECT_EQ(found, 1);
}

TEST_P(ApiConformance, ImportOptionsGiveTheSameCids) {
  api::AddRequest r;
  r.params.cid_version = 1;
  EXPECT_EQ(add_text("hello world\n", r).to_string(), "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
  api::AddRequest hashed;
  hashed.only_hash = true;
  Cid only = add_text("not stored\n", hashed);
  EXPECT_EQ(c().block_stat(only).error().code(), Code::kNotFound);
}

TEST_P(ApiConformance, AddsATreeListsResolvesAndGetsIt) {
  const std::string dir = tmp_.file("planets");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  test::write_file(dir + "/mars.txt", text("Hello Mars!\n"));
  test::write_file(dir + "/venus.txt", text("Hello Venus!\n"));
  api::AddRequest r;
  r.paths = {dir};
  r.params.recursive = true;
  std::vector<std::string> names;
  r.on_added = [&](const unixfs::AddedEntry& e) { names.push_back(e.name); };
  auto root = c().add(r);
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_EQ(root->to_string(), "QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY");
  EXPECT_EQ(names, (std::vector<std::string>{"planets/mars.txt", "planets/venus.txt", "planets"}));
  std::vector<std::string> entries;
  ASSERT_TRUE(c().ls(root->to_string(), [&](const unixfs::DirEntry& e) -> Status {
    entries.push_back(e.name);
    EXPECT_GT(e.tsize, 0u);
    return {};
  }));
  EXPECT_EQ(entries, (std::vector<std::string>{"mars.txt", "venus.txt"}));
  EXPECT_EQ(cat_all("/ipfs/" + root->to_string() + "/venus.txt"), "Hello Venus!\n");
  auto child = c().resolve(root->to_string() + "/mars.txt");
  ASSERT_TRUE(child);
  EXPECT_EQ(c().stat(child->to_string())->size, 12u);
  EXPECT_EQ(c().resolve(root->to_string() + "/pluto.txt").error().code(), Code::kNotFound);

  const std::string out = tmp_.file("out");
  uint64_t bytes = 0;
  ASSERT_TRUE(c().get(root->to_string(), out, [&](uint64_t n) { bytes += n; }));
  EXPECT_EQ(read_text(out + "/mars.txt"), "Hello Mars!\n");
  EXPECT_EQ(read_text(out + "/venus.txt"), "Hello Venus!\n");
  EXPECT_EQ(bytes, 25u);
  EXPECT_EQ(c().get(root->to_string(), out, nullptr).error().code(), Code::kAlreadyExists);

  std::vector<std::string> refs;
  ASSERT_TRUE(c().refs(root->to_string(), true, true, [&](const Cid& ref) -> Status {
    refs.push_back(ref.to_string());
    return {};
  }));
  EXPECT_EQ(refs.size(), 2u);
}

TEST_P(ApiConformance, BadPathsAndMissingContentFailWithTheSameCodes) {
  EXPECT_EQ(c().resolve("not-a-cid").error().code(), Code::kInvalidArgument);
  // A valid CID that is not stored.
  const std::string missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
  EXPECT_EQ(c().stat(missing).error().code(), Code::kNotFound);
  EXPECT_EQ(c().cat(missing, 0, std::nullopt, [](ByteView) -> Status { return {}; }).error().code(), Code::kNotFound);
  Cid file = add_text("twelve bytes");
  auto past = c().cat(file.to_string(), 100, std::nullopt, [](ByteView) -> Status { return {}; });
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code(), Code::kInvalidArgument);
}

TEST_P(ApiConformance, BlocksPutGetStatAndRemovePerItem) {
  api::BlockPutRequest req;
  auto put = c().block_put(text("block bytes"), req);
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(put->size, 11u);
  EXPECT_EQ(put->cid.version(), 1);
  auto got = c().block_get(put->cid);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, text("block bytes"));
  EXPECT_EQ(c().block_stat(put->cid)->size, 11u);

  api::BlockPutRequest pinned_req;
  pinned_req.pin = true;
  auto pinned = c().block_put(text("pinned block"), pinned_req);
  ASSERT_TRUE(pinned);
  Cid missing = *Cid::parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
  std::map<std::string, Status> outcome;
  ASSERT_TRUE(c().block_rm({put->cid, pinned->cid, missing},
                           [&](const Cid& cid, const Status& st) { outcome.emplace(cid.to_string(), st); }));
  ASSERT_EQ(outcome.size(), 3u);
  EXPECT_TRUE(outcome.at(put->cid.to_string()));
  EXPECT_FALSE(outcome.at(pinned->cid.to_string()));
  EXPECT_EQ(outcome.at(missing.to_string()).error().code(), Code::kNotFound);
  EXPECT_EQ(c().block_get(put->cid).error().code(), Code::kNotFound);
  EXPECT_TRUE(c().block_get(pinned->cid));
}

TEST_P(ApiConformance, PinsEachItemAndReportsFailuresWithoutStoppingTheOthers) {
  api::AddRequest unpinned;
  unpinned.pin = false;
  Cid a = add_text("first", unpinned);
  Cid b = add_text("second", unpinned);
  Cid missing = *Cid::parse("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nx");
  std::vector<repo::PinRequest> pins(3);
  pins[0].cid = a;
  pins[1].cid = missing;
  pins[2].cid = b;
  for (auto& p : pins) p.name = "batch";
  std::map<std::string, Status> outcome;
  ASSERT_TRUE(c().pin_add(pins, [&](const Cid& cid, const Status& st) { outcome.emplace(cid.to_string(), st); }, nullptr));
  ASSERT_EQ(outcome.size(), 3u);
  EXPECT_TRUE(outcome.at(a.to_string()));
  EXPECT_TRUE(outcome.at(b.to_string()));
  EXPECT_EQ(outcome.at(missing.to_string()).error().code(), Code::kNotFound);
  EXPECT_EQ(pinned(), (std::set<std::string>{a.to_string(), b.to_string()}));

  outcome.clear();
  ASSERT_TRUE(c().pin_rm({a, missing}, [&](const Cid& cid, const Status& st) { outcome.emplace(cid.to_string(), st); }));
  EXPECT_TRUE(outcome.at(a.to_string()));
  EXPECT_EQ(outcome.at(missing.to_string()).error().code(), Code::kNotFound);
  EXPECT_EQ(pinned(), std::set<std::string>{b.to_string()});

  ASSERT_TRUE(c().pin_update(b, a, true));
  EXPECT_EQ(pinned(), std::set<std::string>{a.to_string()});
  int verified = 0;
  ASSERT_TRUE(c().pin_verify([&](const core::PinVerifyResult& r) -> Status {
    ++verified;
    EXPECT_TRUE(r.ok);
    return {};
  }));
  EXPECT_EQ(verified, 1);
}

TEST_P(ApiConformance, PinsPageByCursorAndFilterByMetadata) {
  std::vector<std::string> added;
  for (int i = 0; i < 7; ++i) {
    api::AddRequest r;
    r.pin_meta = {{"parity", i % 2 == 0 ? "even" : "odd"}};
    added.push_back(add_text("page item " + std::to_string(i), r).to_string());
  }
  std::vector<std::string> seen;
  core::PinListOptions o;
  o.indirect = false;
  o.filter.limit = 3;
  for (int page = 0; page < 4; ++page) {
    int64_t last = 0;
    size_t n = 0;
    ASSERT_TRUE(c().pin_ls(o, [&](const core::PinEntry& e) -> Status {
      EXPECT_TRUE(e.info && e.info->id > o.filter.after);
      seen.push_back(e.cid.to_string());
      last = e.info->id;
      ++n;
      return {};
    }));
    if (n == 0) break;
    o.filter.after = last;
  }
  EXPECT_EQ(seen, added);  // every pin once, in the order pinned
  core::PinListOptions odd;
  odd.indirect = false;
  odd.filter.meta = std::make_pair(std::string("parity"), std::string("odd"));
  std::vector<std::string> odds;
  ASSERT_TRUE(c().pin_ls(odd, [&](const core::PinEntry& e) -> Status {
    odds.push_back(e.cid.to_string());
    return {};
  }));
  EXPECT_EQ(odds, (std::vector<std::string>{added[1], added[3], added[5]}));
}

TEST_P(ApiConformance, CancelledAddStoresAndPinsNothing) {
  CancelToken cancel;
  cancel.cancel();
  Bytes data = test::deterministic_bytes("cancel", 3 << 20);
  MemoryReader in(data);
  api::AddRequest r;
  r.stream = &in;
  r.cancel = &cancel;
  auto cid = c().add(r);
  ASSERT_FALSE(cid);
  EXPECT_EQ(cid.error().code(), Code::kCancelled);
  EXPECT_TRUE(pinned().empty());
}

TEST_P(ApiConformance, ExportsAndImportsCarsVerifyingEveryBlock) {
  Bytes data = test::deterministic_bytes("car", 700000);
  MemoryReader in(data);
  api::AddRequest r;
  r.stream = &in;
  auto root = c().add(r);
  ASSERT_TRUE(root);
  Bytes car;
  ASSERT_TRUE(c().dag_export(*root, [&](ByteView b) -> Status {
    car.insert(car.end(), b.begin(), b.end());
    return {};
  }));
  auto stat = c().dag_stat(*root);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->blocks, 4u);  // three leaves and the root

  // Into a fresh repository through the same kind of client.
  ASSERT_TRUE(c().pin_rm({*root}, nullptr));
  ASSERT_TRUE(c().gc(nullptr));
  EXPECT_EQ(c().block_stat(*root).error().code(), Code::kNotFound);
  MemoryReader car_in(car);
  std::vector<std::string> roots;
  auto report = c().dag_import(car_in, true, [&](const Cid& cid, const Status& st) {
    EXPECT_TRUE(st);
    roots.push_back(cid.to_string());
  }, nullptr);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->blocks, 4u);
  EXPECT_EQ(roots, std::vector<std::string>{root->to_string()});
  EXPECT_EQ(pinned(), std::set<std::string>{root->to_string()});

  // A CAR whose block does not hash to its CID is refused, nothing stored.
  Bytes bad = car;
  bad[bad.size() - 10] ^= 0x01;
  ASSERT_TRUE(c().pin_rm({*root}, nullptr));
  ASSERT_TRUE(c().gc(nullptr));
  MemoryReader bad_in(bad);
  auto refused = c().dag_import(bad_in, true, nullptr, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(pinned().empty());
}

TEST_P(ApiConformance, RepositoryGcStatVerifyAndIdentity) {
  api::AddRequest unpinned;
  unpinned.pin = false;
  Cid gone = add_text("collect me", unpinned);
  Cid kept = add_text("keep me");
  std::vector<std::string> removed;
  auto gc = c().gc([&](const Cid& cid) { removed.push_back(cid.to_string()); });
  ASSERT_TRUE(gc);
  EXPECT_EQ(removed, std::vector<std::string>{gone.to_string()});
  EXPECT_EQ(gc->removed_blocks, 1u);
  // What stays: the pinned block, and the empty directory every repository holds.
  const Cid empty_dir = *Cid::parse("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  auto stat = c().repo_stat();
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->blocks, 2u);
  EXPECT_EQ(stat->pins, 1u);
  EXPECT_EQ(stat->block_bytes, c().block_stat(kept)->size + c().block_stat(empty_dir)->size);
  auto verify = c().repo_verify(nullptr);
  ASSERT_TRUE(verify);
  EXPECT_EQ(verify->checked, 2u);
  EXPECT_EQ(verify->bad, 0u);
  auto id = c().id();
  ASSERT_TRUE(id);
  EXPECT_EQ((*id)["ID"].get<std::string>().rfind("12D3KooW", 0), 0u);
}

TEST_P(ApiConformance, ConfigurationIsValidatedAndSecretsRedacted) {
  auto bad = c().config_set("daemon.health_check_interval", "\"soon\"");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(c().config_get("no.such.key").error().code(), Code::kInvalidArgument);
  auto set = c().config_set("daemon.health_check_interval", "45");
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(*set, 45);
  EXPECT_EQ(*c().config_get("daemon.health_check_interval"), 45);
  auto doc = c().config_show();
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["daemon"]["health_check_interval"], 45);
  EXPECT_TRUE((*doc)["daemon"]["api_token"].is_null());
}

TEST_P(ApiConformance, OperationsNeedADaemon) {
  if (GetParam() == "local") {
    EXPECT_EQ(c().health().error().code(), Code::kUnavailable);
    EXPECT_EQ(c().backends(false).error().code(), Code::kUnavailable);
    EXPECT_EQ(c().metrics().error().code(), Code::kUnavailable);
    return;
  }
  auto health = c().health();
  ASSERT_TRUE(health) << health.error().message();
  EXPECT_EQ((*health)["status"], "healthy");
  auto backends = c().backends(true);
  ASSERT_TRUE(backends);
  EXPECT_EQ((*backends)["ipfs"]["health"], "healthy");
  EXPECT_EQ(c().set_backend_running("nope", false).error().code(), Code::kNotFound);
  auto metrics = c().metrics();
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->find("ipfskit_http_requests_total"), std::string::npos);
  auto lines = c().log_lines(api::LogQuery{5, "", ""});
  ASSERT_TRUE(lines) << lines.error().message();
  EXPECT_FALSE(lines->empty());
  EXPECT_EQ(c().log_lines(api::LogQuery{5, "", "../x"}).error().code(), Code::kInvalidArgument);
  auto replication = c().replication_status();
  ASSERT_TRUE(replication);
  EXPECT_TRUE(replication->contains("min_replicas"));
}

TEST_P(ApiConformance, FilesOperationsAnswerAlike) {
  // Kubo's planets vector built with files_*: the same root through any client.
  Cid mars = add_text("Hello Mars!\n");
  mfs::MkdirOptions parents;
  parents.parents = true;
  ASSERT_TRUE(c().files_mkdir("/planets", parents));
  ASSERT_TRUE(c().files_cp("/ipfs/" + mars.to_string(), "/planets/mars.txt", false, false));
  Bytes venus = text("Hello Venus!\n");
  MemoryReader in(venus);
  mfs::WriteOptions create;
  create.create = true;
  ASSERT_TRUE(c().files_write("/venus.tmp", in, create));
  // (files write builds a trickle DAG: place the added file instead.)
  ASSERT_TRUE(c().files_cp("/ipfs/" + add_text("Hello Venus!\n").to_string(), "/planets/venus.txt", false, false));
  auto st = c().files_stat("/planets");
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->cid.to_string(), "QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY");
  EXPECT_EQ(st->type, "directory");
  std::vector<std::string> names;
  ASSERT_TRUE(c().files_ls("/planets", true, [&](const mfs::Listing& l) -> Status {
    names.push_back(l.name + ":" + std::to_string(l.type) + ":" + std::to_string(l.size));
    return {};
  }));
  EXPECT_EQ(names, (std::vector<std::string>{"mars.txt:0:12", "venus.txt:0:13"}));
  std::string got;
  ASSERT_TRUE(c().files_read("/venus.tmp", 6, 5, [&](ByteView b) -> Status {
    got.append(as_chars(b));
    return {};
  }));
  EXPECT_EQ(got, "Venus");
  ASSERT_TRUE(c().files_mv("/venus.tmp", "/v.txt"));
  ASSERT_TRUE(c().files_chmod("/v.txt", 0600));
  ASSERT_TRUE(c().files_touch("/v.txt", 1700000000, std::nullopt));
  auto v = c().files_stat("/v.txt");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->mode, 0600u);
  ASSERT_TRUE(v->mtime);
  EXPECT_EQ(v->mtime->seconds, 1700000000);
  mfs::CidPrefix v1;
  v1.cid_version = 1;
  ASSERT_TRUE(c().files_chcid("/planets", v1));
  EXPECT_EQ(c().files_stat("/planets")->cid.version(), 1u);
  auto flushed = c().files_flush("/");
  ASSERT_TRUE(flushed);
  EXPECT_EQ(*flushed, c().files_stat("/")->cid);
  // The same error codes everywhere.
  EXPECT_EQ(c().files_stat("/missing").error().code(), Code::kNotFound);
  EXPECT_EQ(c().files_mkdir("/planets", {}).error().code(), Code::kAlreadyExists);
  EXPECT_EQ(c().files_mkdir("relative", {}).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(c().files_rm({"/planets"}, false, false).error().code(), Code::kInvalidArgument);
  ASSERT_TRUE(c().files_rm({"/planets", "/v.txt"}, true, false));
  EXPECT_EQ(c().files_stat("/")->cid.to_string(), "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
}

INSTANTIATE_TEST_SUITE_P(Api, ApiConformance, ::testing::Values("local", "remote", "routed"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// A daemon that lies: the remote client checks every block it is sent.
TEST(RemoteClient, RefusesABlockThatDoesNotHashToItsCid) {
  http::Server server("liar", http::Limits{});
  http::Route r;
  r.method = "POST";
  r.path = "/api/v0/block/get";
  r.inline_handler = [](const http::Request&) { return http::Response::text(200, "not the bytes you asked for"); };
  server.add_route(std::move(r));
  ASSERT_TRUE(server.listen("127.0.0.1:0"));
  server.start(1, 1);
  api::RemoteClient client(api::RemoteEndpoints{server.address(), server.address(), ""});
  Cid cid = *Cid::parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
  auto got = client.block_get(cid);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kCorruption);
  // Everything built on blocks refuses it too.
  EXPECT_EQ(client.stat(cid.to_string()).error().code(), Code::kCorruption);
  server.stop(1);
}

TEST(RemoteClient, MalformedRepliesAreCorruptionNotCrashes) {
  http::Server server("garbage", http::Limits{});
  http::Route r;
  r.method = "";
  r.path = "/";
  r.prefix = true;
  r.inline_handler = [](const http::Request&) { return http::Response::json(200, "{\"Key\": 12}\n[1,2\n"); };
  server.add_route(std::move(r));
  ASSERT_TRUE(server.listen("127.0.0.1:0"));
  server.start(1, 1);
  api::RemoteClient client(api::RemoteEndpoints{server.address(), server.address(), ""});
  Cid cid = *Cid::parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
  EXPECT_EQ(client.block_stat(cid).error().code(), Code::kCorruption);
  EXPECT_EQ(client.repo_stat().error().code(), Code::kCorruption);
  EXPECT_EQ(client.id().error().code(), Code::kCorruption);
  EXPECT_EQ(client.pin_ls({}, [](const core::PinEntry&) -> Status { return {}; }).error().code(), Code::kCorruption);
  server.stop(1);
}

// The daemon's streamed replies (POST /replication/sync?progress=true,
// /backends/NAME/restore): lines dispatched by key, then the summary, the
// error line's error, or a clear error when the reply is cut or garbled.
TEST(RemoteClient, StreamedRepliesEndWithTheSummaryOrTheError) {
  http::Server server("ndjson", http::Limits{});
  http::Route r;
  r.method = "POST";
  r.path = "/";
  r.prefix = true;
  r.inline_handler = [](const http::Request& req) {
    std::string body;
    if (req.path == "/replication/sync" && req.param("progress") == std::optional<std::string>("true"))
      body = "{\"progress\":{\"pins_done\":1,\"pins_total\":2}}\n{\"newer\":{}}\n"
             "{\"progress\":{\"pins_done\":2,\"pins_total\":2}}\n{\"summary\":{\"checked\":2}}\n";
    else if (req.path == "/backends/failing/restore")
      body = "{\"pin\":{\"cid\":\"x\"}}\n{\"error\":\"disk full\",\"code\":\"io_error\"}\n";
    else if (req.path == "/backends/cut/restore")
      body = "{\"progress\":{\"pins_done\":0}}\n";
    else if (req.path == "/backends/garbled/restore")
      body = "{\"pin\":{}}\n[1,2\n";
    else if (req.path == "/backends/refused/restore")
      return http::Response::json(400, "{\"error\":\"dry_run must be true or false\",\"code\":\"invalid_argument\"}\n");
    else
      return http::Response::json(404, "{\"error\":\"no such endpoint\",\"code\":\"not_found\"}\n");
    return http::Response::text(200, body, "application/x-ndjson");
  };
  server.add_route(std::move(r));
  ASSERT_TRUE(server.listen("127.0.0.1:0"));
  server.start(1, 1);
  api::RemoteClient client(api::RemoteEndpoints{server.address(), server.address(), ""});

  std::vector<uint64_t> done;
  api::ReplicationSyncRequest sync;
  sync.on_progress = [&](const nlohmann::json& p) { done.push_back(p["pins_done"].get<uint64_t>()); };
  auto report = client.replication_sync(sync);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ((*report)["checked"], 2);
  EXPECT_EQ(done, (std::vector<uint64_t>{1, 2}));

  // Cancelled: the call stops at the first line it reads.
  CancelToken cancel;
  cancel.cancel();
  sync.cancel = &cancel;
  done.clear();
  EXPECT_EQ(client.replication_sync(sync).error().code(), Code::kCancelled);
  EXPECT_EQ(done.size(), 1u);

  int pins = 0;
  api::BackendRestoreRequest restore;
  restore.on_pin = [&](const nlohmann::json&) { ++pins; };
  auto failed = client.backend_restore("failing", restore);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kIOError);
  EXPECT_EQ(failed.error().message(), "disk full");
  EXPECT_EQ(pins, 1);
  auto cut = client.backend_restore("cut", restore);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), Code::kIOError);
  EXPECT_NE(cut.error().message().find("without a summary"), std::string::npos) << cut.error().message();
  EXPECT_EQ(client.backend_restore("garbled", restore).error().code(), Code::kCorruption);
  EXPECT_EQ(client.backend_restore("refused", restore).error().code(), Code::kInvalidArgument);
  server.stop(1);
}

TEST(RemoteClient, NoDaemonIsUnavailable) {
  api::RemoteClient client(api::RemoteEndpoints{"127.0.0.1:1", "127.0.0.1:1", ""});
  EXPECT_EQ(client.health().error().code(), Code::kUnavailable);
  EXPECT_EQ(client.repo_stat().error().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace ipfskit
