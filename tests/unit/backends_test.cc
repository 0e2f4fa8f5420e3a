// Backends: configuration, the flatfs layout, records and listings from
// storage, health rules, concurrent probing, supervision, the filesystem and
// gateway backends end to end (the gateway against an HTTP server started
// here, including one that lies), CAR verification, and the registry.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "backends/backend.h"
#include "backends/flatfs.h"
#include "backends/health.h"
#include "backends/pin_record.h"
#include "backends/pipe.h"
#include "backends/registry.h"
#include "backends/s3_xml.h"
#include "backends/supervisor.h"
#include "backends/types.h"
#include "car/car.h"
#include "config/backends.h"
#include "config/config.h"
#include "core/node.h"
#include "http/server.h"
#include "test_util.h"
#include "unixfs/profile.h"

namespace ipfskit {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------- configuration ----------------

TEST(BackendConfig, ValidatesTypesFieldsAndSeeds) {
  json s3 = {{"type", "s3"}, {"bucket", "b"}, {"access_key", "A"}, {"secret_key_env", "MY_SECRET"},
             {"tags", "cold, eu"}, {"path_style", true}};
  EXPECT_EQ(validate_backend("archive", s3), "");
  EXPECT_EQ(s3["tags"], json::array({"cold", "eu"}));  // normalized from "a,b"

  json unknown_type = {{"type", "floppy"}};
  EXPECT_NE(validate_backend("x", unknown_type).find("unknown backend type \"floppy\""), std::string::npos);
  json unknown_field = {{"type", "filesystem"}, {"path", "/mnt"}, {"colour", "red"}};
  EXPECT_NE(validate_backend("x", unknown_field).find("unknown field \"colour\" for type filesystem"), std::string::npos);
  json both = {{"type", "kubo"}, {"rpc", "http://h:5001"}, {"token", "t"}, {"token_env", "T"}};
  EXPECT_NE(validate_backend("x", both).find("not both"), std::string::npos);
  json bad_env = {{"type", "kubo"}, {"rpc", "http://h:5001"}, {"token_env", "not a name"}};
  EXPECT_NE(validate_backend("x", bad_env), "");
  json bad_url = {{"type", "kubo"}, {"rpc", "ftp://h"}};
  EXPECT_NE(validate_backend("x", bad_url).find("http:// or https://"), std::string::npos);
  json relative = {{"type", "filesystem"}, {"path", "disk"}};
  EXPECT_NE(validate_backend("x", relative).find("absolute"), std::string::npos);
  json bad_int = {{"type", "s3"}, {"concurrency", 0}};
  EXPECT_NE(validate_backend("x", bad_int), "");
  json bad_name = {{"type", "gateway"}, {"url", "http://h"}};
  EXPECT_NE(validate_backend("../x", bad_name), "");
  // The seeds' names keep their types; only "ipfs" is the embedded node.
  json lassie = {{"enabled", true}, {"url", "http://127.0.0.1:8080"}};
  EXPECT_EQ(validate_backend("lassie", lassie), "");
  json retyped = {{"type", "s3"}};
  EXPECT_NE(validate_backend("lassie", retyped).find("has type gateway"), std::string::npos);
  json second_embedded = {{"type", "ipfs"}};
  EXPECT_NE(validate_backend("other", second_embedded), "");
  json supervised_embedded = {{"command", "x"}};
  EXPECT_NE(validate_backend("ipfs", supervised_embedded), "");

  EXPECT_EQ(missing_fields("ipfs_cluster", json::object()), std::vector<std::string>{"backends.ipfs_cluster.endpoint"});
  EXPECT_NE(describe_missing("ipfs_cluster", json::object(), missing_fields("ipfs_cluster", json::object())).find("9094"),
            std::string::npos);
  EXPECT_TRUE(missing_fields("archive", s3).empty());  // secret_key given as secret_key_env
}

TEST(BackendConfig, SecretsComeFromTheEnvironmentAndAreNeverShown) {
  json s = {{"type", "s3"}, {"bucket", "b"}, {"access_key", "AKID"}, {"secret_key_env", "IPFSKIT_TEST_SECRET"},
            {"env", {{"AWS_SECRET", "hunter2"}}}, {"command", "minio"}};
  ASSERT_EQ(validate_backend("archive", s), "");
  ::unsetenv("IPFSKIT_TEST_SECRET");
  auto unset = resolve_field(s, "secret_key");
  ASSERT_FALSE(unset);
  EXPECT_NE(unset.error().message().find("IPFSKIT_TEST_SECRET"), std::string::npos);
  ::setenv("IPFSKIT_TEST_SECRET", "s3cr3t", 1);
  EXPECT_EQ(resolve_field(s, "secret_key")->value(), "s3cr3t");
  EXPECT_EQ(resolve_field(s, "access_key")->value(), "AKID");
  EXPECT_FALSE(resolve_field(s, "region")->has_value());
  ::unsetenv("IPFSKIT_TEST_SECRET");

  Config c = Config::defaults();
  ASSERT_TRUE(c.set("daemon.api_token", "tok3n"));
  ASSERT_TRUE(c.set_backend("archive", s));
  const std::string shown = c.redacted().dump();
  EXPECT_EQ(shown.find("AKID"), std::string::npos);
  EXPECT_EQ(shown.find("hunter2"), std::string::npos);
  EXPECT_EQ(shown.find("tok3n"), std::string::npos);
  EXPECT_NE(shown.find("IPFSKIT_TEST_SECRET"), std::string::npos);  // a variable's name is not a secret
  EXPECT_EQ(c.get_redacted("backends.archive.access_key")->get<std::string>(), "(set)");
}

TEST(BackendConfig, ConfigFileAndSetForBackends) {
  test::TempDir tmp;
  Config c = Config::defaults();
  EXPECT_EQ(c.backend_names(), (std::vector<std::string>{"ipfs", "ipfs_cluster", "lassie", "lotus", "storacha"}));
  ASSERT_TRUE(c.set("backends.disk.type", "filesystem"));
  ASSERT_TRUE(c.set("backends.disk.path", "/mnt/disk"));
  ASSERT_TRUE(c.set("backends.disk.tags", "a,b"));
  ASSERT_TRUE(c.set("backends.disk.env.FOO", "bar"));
  EXPECT_EQ(*c.get("backends.disk.tags"), json::array({"a", "b"}));
  EXPECT_EQ(c.get("backends.disk.enabled")->get<bool>(), true);
  EXPECT_FALSE(c.set("backends.disk.colour", "red"));
  EXPECT_FALSE(c.set("backends.fresh.path", "/x"));  // no type yet
  EXPECT_FALSE(c.set("backends.disk.type", "nope"));
  EXPECT_FALSE(c.set("backends.ipfs.enabled", "yes"));
  EXPECT_TRUE(c.set("backends.lassie.url", "http://127.0.0.1:8080/"));
  EXPECT_EQ(c.get("backends.lassie.url")->get<std::string>(), "http://127.0.0.1:8080");
  ASSERT_TRUE(c.save(tmp.file("config.json")));
  auto back = Config::load(tmp.file("config.json"));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back->get("backends.disk"), *c.get("backends.disk"));

  EXPECT_FALSE(c.remove_backend("lassie"));
  EXPECT_TRUE(c.remove_backend("disk"));
  EXPECT_EQ(c.remove_backend("disk").error().code(), Code::kNotFound);

  test::write_file(tmp.file("bad1.json"), as_bytes(R"({"backends": {"x": {"type": "tape"}}})"));
  auto bad1 = Config::load(tmp.file("bad1.json"));
  ASSERT_FALSE(bad1);
  EXPECT_NE(bad1.error().message().find("unknown backend type \"tape\""), std::string::npos);
  test::write_file(tmp.file("bad2.json"), as_bytes(R"({"backends": {"x": {"type": "s3", "bukket": "b"}}})"));
  EXPECT_FALSE(Config::load(tmp.file("bad2.json")));
  test::write_file(tmp.file("bad3.json"), as_bytes(R"({"backends": []})"));
  EXPECT_FALSE(Config::load(tmp.file("bad3.json")));
  // The seeds' five names keep working, with only what the seeds had.
  test::write_file(tmp.file("seeds.json"), as_bytes(R"({"backends": {"ipfs": {"enabled": true, "auto_start": true},
      "ipfs_cluster": {"enabled": true, "auto_start": true}, "lotus": {"enabled": false, "auto_start": false},
      "lassie": {"enabled": true, "auto_start": true}, "storacha": {"enabled": false, "auto_start": false}}})"));
  EXPECT_TRUE(Config::load(tmp.file("seeds.json")));
}

TEST(BackendConfig, CommandLineValues) {
  EXPECT_EQ(*parse_backend_value("s3", "path_style", "true"), json(true));
  EXPECT_FALSE(parse_backend_value("s3", "path_style", "maybe"));
  EXPECT_EQ(*parse_backend_value("s3", "concurrency", "32"), json(32));
  EXPECT_EQ(*parse_backend_value("s3", "args", "[\"--port\",\"1\"]"), json::array({"--port", "1"}));
  EXPECT_EQ(*parse_backend_value("s3", "tags", "x,y"), json::array({"x", "y"}));
  EXPECT_EQ(*parse_backend_value("kubo", "token_env", "TOKEN"), json("TOKEN"));
  EXPECT_FALSE(parse_backend_value("kubo", "bucket", "b"));
}

// ---------------- flatfs layout ----------------

TEST(Flatfs, KuboKeysAndShards) {
  // `hello world\n`: Kubo stores it as blocks/YD/CIQENVCICS44...FUYDQ.data.
  auto cid = Cid::parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  ASSERT_TRUE(cid);
  EXPECT_EQ(backends::flatfs::key_of(cid->multihash()), "CIQENVCICS44LLYUDQ5KVN6ALXC6QRHK2X4R6EUFRMBB5OSFO2FUYDQ");
  EXPECT_EQ(backends::flatfs::relative_path(*cid), "YD/CIQENVCICS44LLYUDQ5KVN6ALXC6QRHK2X4R6EUFRMBB5OSFO2FUYDQ.data");
  // The same multihash under a CIDv1 lands in the same file.
  EXPECT_EQ(backends::flatfs::relative_path(cid->to_v1()), backends::flatfs::relative_path(*cid));
  // go-ds-flatfs pads short keys with '_'.
  EXPECT_EQ(backends::flatfs::shard_of("ABC"), "AB");
  EXPECT_EQ(backends::flatfs::shard_of("AB"), "_A");
  EXPECT_EQ(backends::flatfs::shard_of("A"), "__");
  EXPECT_EQ(backends::flatfs::kSharding, "/repo/flatfs/shard/v1/next-to-last/2\n");
}

// ---------------- records and listings from storage ----------------

TEST(PinRecord, RoundTripAndHostileRecords) {
  backends::PinSpec spec;
  spec.cid = *Cid::parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  spec.name = "hello";
  spec.meta = {{"team", "infra"}};
  backends::PushStats stats;
  stats.blocks = 1;
  stats.bytes = 12;
  auto p = backends::parse_pin_record(backends::pin_record(spec, stats, 1700000000));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->cid, spec.cid);
  EXPECT_EQ(p->name, "hello");
  EXPECT_EQ(p->meta.at("team"), "infra");
  EXPECT_EQ(p->created, 1700000000);
  EXPECT_EQ(backends::pin_record_name(spec.cid), spec.cid.to_v1().to_string() + ".json");
  for (const char* bad : {"", "null", "[]", "{\"format\":\"other\",\"cid\":\"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\"}",
                          "{\"format\":\"ipfs-kit-pin/1\",\"cid\":\"not-a-cid\"}",
                          "{\"format\":\"ipfs-kit-pin/1\",\"cid\":\"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\",\"meta\":{\"a\":1}}",
                          "{\"format\":\"ipfs-kit-pin/1\",\"cid\":\"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\",\"name\":7}"}) {
    auto r = backends::parse_pin_record(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code(), Code::kCorruption);
    }
  }
  EXPECT_FALSE(backends::parse_pin_record(std::string(100000, ' ')));
}

TEST(S3Xml, ListingsErrorsAndHostileDocuments) {
  auto page = backends::s3xml::parse_list(
      R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>)"
      R"(<Contents><Key>p/a</Key><Size>10</Size></Contents><Contents><Key>p/b&amp;c</Key><Size>3</Size></Contents>)"
      R"(<NextContinuationToken>tok</NextContinuationToken></ListBucketResult>)");
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[1].key, "p/b&c");
  EXPECT_EQ(page->objects[0].size, 10u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "tok");
  EXPECT_FALSE(backends::s3xml::parse_list("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"));
  EXPECT_FALSE(backends::s3xml::parse_list("<Other/>"));
  EXPECT_FALSE(backends::s3xml::parse_list("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>"));
  EXPECT_FALSE(backends::s3xml::parse_list("<ListBucketResult>"));
  // No document types, hence no entity expansion ("billion laughs").
  EXPECT_FALSE(backends::s3xml::parse_list(
      R"(<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><ListBucketResult><Name>&b;</Name></ListBucketResult>)"));
  auto err = backends::s3xml::parse_error("<Error><Code>InvalidAccessKeyId</Code><Message>no such key</Message></Error>");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, "InvalidAccessKeyId");
  EXPECT_FALSE(backends::s3xml::parse_error("not xml"));
}

// ---------------- health ----------------

TEST(Health, DownAfterTwoMissedProbesOneAlertPerOutage) {
  backends::HealthState h;
  using Ev = backends::HealthState::Event;
  const Error boom(Code::kUnavailable, "connection refused");
  backends::ProbeResult ok;
  EXPECT_EQ(h.record_probe(1, 5, ok, 1000), Ev::kNone);
  EXPECT_EQ(h.status(), backends::Health::kHealthy);
  EXPECT_EQ(h.record_probe(2, 5, tl::unexpected(boom), 1000), Ev::kNone);
  EXPECT_EQ(h.status(), backends::Health::kDegraded);  // one miss is not an outage
  EXPECT_NE(h.error().find("missed 1 probe"), std::string::npos);
  EXPECT_EQ(h.record_probe(3, 5, tl::unexpected(boom), 1000), Ev::kDown);
  EXPECT_EQ(h.status(), backends::Health::kUnhealthy);
  EXPECT_EQ(h.record_probe(4, 5, tl::unexpected(boom), 1000), Ev::kNone);  // still the same outage
  EXPECT_EQ(h.record_probe(5, 5, tl::unexpected(boom), 1000), Ev::kNone);
  EXPECT_EQ(h.record_probe(6, 5, ok, 1000), Ev::kRecovered);
  EXPECT_EQ(h.status(), backends::Health::kHealthy);
  EXPECT_EQ(h.record_probe(7, 2000, ok, 1000), Ev::kNone);
  EXPECT_EQ(h.status(), backends::Health::kDegraded);  // slow
  backends::ProbeResult warned;
  warned.warning = "low free space";
  h.record_probe(8, 5, warned, 1000);
  EXPECT_EQ(h.error(), "low free space");
  EXPECT_EQ(h.record_probe(9, 5, tl::unexpected(Error(Code::kUnsupported, "no")), 1000), Ev::kNone);
  EXPECT_EQ(h.status(), backends::Health::kUnsupported);
  EXPECT_LE(h.history().size(), backends::kHistoryLength);
  for (int i = 0; i < 50; ++i) h.record_probe(10 + i, 1, ok, 1000);
  EXPECT_EQ(h.history().size(), backends::kHistoryLength);
}

// A backend whose probe takes `delay` (or hangs until released).
class SlowBackend : public backends::Backend {
 public:
  SlowBackend(std::string name, std::chrono::milliseconds delay) : Backend({name, "test", {}, ""}), delay_(delay) {}
  backends::Capabilities capabilities() const override { return {}; }
  Result<backends::ProbeResult> probe(std::chrono::milliseconds) override {
    std::this_thread::sleep_for(delay_);
    return backends::ProbeResult{};
  }

 private:
  std::chrono::milliseconds delay_;
};

TEST(Health, ProbesRunConcurrentlyAndAreBoundedByTheTimeout) {
  std::vector<backends::ProbeTarget> targets;
  for (int i = 0; i < 100; ++i)
    targets.push_back({std::make_shared<SlowBackend>("b" + std::to_string(i), 50ms), std::make_shared<std::atomic<bool>>(false)});
  const auto t0 = std::chrono::steady_clock::now();
  auto out = backends::probe_all(targets, 5000ms);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(out.size(), 100u);
  for (const auto& o : out) EXPECT_TRUE(o.result);
  EXPECT_LT(ms, 1000) << "100 probes of 50 ms took " << ms << " ms: not concurrent";  // serial would be 5 s

  // A hung probe is reported as timed out, and not started again while it hangs.
  std::vector<backends::ProbeTarget> hung{{std::make_shared<SlowBackend>("hung", 1500ms), std::make_shared<std::atomic<bool>>(false)}};
  const auto t1 = std::chrono::steady_clock::now();
  auto first = backends::probe_all(hung, 100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 1000ms);
  ASSERT_FALSE(first[0].result);
  EXPECT_EQ(first[0].result.error().code(), Code::kTimeout);
  auto second = backends::probe_all(hung, 100ms);
  ASSERT_FALSE(second[0].result);
  EXPECT_NE(second[0].result.error().message().find("previous probe"), std::string::npos);
  std::this_thread::sleep_for(1600ms);  // let the hung probe finish before the test ends
}

TEST(Health, HttpProbesGoOutTogether) {
  // 100 gateway backends on one server that answers after 50 ms: the probes
  // go out at once from one thread, so a round takes about one answer.
  http::Server server("slow gateway", http::Limits{});
  http::Route r;
  r.method = "GET";
  r.path = "/ipfs/";
  r.prefix = true;
  r.stream_handler = [](http::Exchange& ex) {
    std::this_thread::sleep_for(50ms);
    (void)ex.begin(200, {}, 0);
  };
  server.add_route(std::move(r));
  ASSERT_TRUE(server.listen("127.0.0.1:0"));
  server.start(1, 128);
  backends::Environment env;
  env.request_timeout = 5000ms;
  std::vector<backends::ProbeTarget> targets;
  for (int i = 0; i < 100; ++i) {
    json section = {{"url", "http://" + server.address()}};
    auto b = backends::make_backend("lassie", section, env);
    ASSERT_TRUE(b);
    targets.push_back({std::shared_ptr<backends::Backend>(std::move(*b)), std::make_shared<std::atomic<bool>>(false)});
  }
  (void)backends::probe_all(targets, 5000ms);  // connections open
  const auto t0 = std::chrono::steady_clock::now();
  auto out = backends::probe_all(targets, 5000ms);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& o : out) {
    ASSERT_TRUE(o.result) << o.result.error().message();
    EXPECT_GE(o.latency_ms, 45);
  }
  EXPECT_LT(ms, 1000) << "100 HTTP probes of 50 ms took " << ms << " ms";
  server.stop(1);
}

// ---------------- supervision ----------------

backends::ProcessSpec shell_spec(const test::TempDir& dir, const std::string& script) {
  backends::ProcessSpec s;
  s.name = "proc";
  s.command = "sh";
  s.args = {"-c", script};
  s.log_path = dir.file("logs/backends/proc.log");
  s.backoff_initial = 50ms;
  s.backoff_max = 200ms;
  return s;
}

template <typename Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return p();
}

TEST(Supervisor, RestartsWithBackoffAndLogsOutput) {
  test::TempDir dir;
  backends::SupervisedProcess p(shell_spec(dir, "echo to-stdout; echo to-stderr >&2; exit 7"));
  ASSERT_TRUE(p.start());
  ASSERT_TRUE(eventually([&] { return p.status().starts >= 3; })) << p.status().starts;
  auto st = p.status();
  EXPECT_GE(st.restarts, 2u);
  EXPECT_EQ(st.last_exit, "exit status 7");
  p.stop();
  EXPECT_EQ(p.status().state, "stopped");
  const std::string log = read_text(dir.file("logs/backends/proc.log"));
  EXPECT_NE(log.find("to-stdout"), std::string::npos);
  EXPECT_NE(log.find("to-stderr"), std::string::npos);
  EXPECT_NE(log.find("exit status 7"), std::string::npos);
}

TEST(Supervisor, StopsGracefullyThenForcibly) {
  test::TempDir dir;
  {
    backends::ProcessSpec s = shell_spec(dir, "echo $MARK; exec sleep 100");
    s.env = {{"MARK", "from-env"}};
    s.cwd = dir.path();
    backends::SupervisedProcess p(s);
    ASSERT_TRUE(p.start());
    ASSERT_TRUE(eventually([&] { return p.status().state == "running" && p.status().pid != 0; }));
    const int pid = p.status().pid;
    const auto t0 = std::chrono::steady_clock::now();
    p.stop(std::chrono::seconds(5));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3000ms);  // SIGTERM was enough
    EXPECT_NE(::kill(pid, 0), 0);
    EXPECT_NE(p.status().last_exit.find("SIGTERM"), std::string::npos) << p.status().last_exit;
    EXPECT_TRUE(eventually([&] { return read_text(dir.file("logs/backends/proc.log")).find("from-env") != std::string::npos; }));
  }
  {
    backends::SupervisedProcess stubborn(shell_spec(dir, "trap '' TERM; while :; do sleep 0.1; done"));
    ASSERT_TRUE(stubborn.start());
    ASSERT_TRUE(eventually([&] { return stubborn.status().pid != 0; }));
    std::this_thread::sleep_for(200ms);  // let the shell install its trap
    const auto t0 = std::chrono::steady_clock::now();
    stubborn.stop(std::chrono::seconds(1));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
    EXPECT_NE(stubborn.status().last_exit.find("SIGKILL"), std::string::npos) << stubborn.status().last_exit;
  }
  {
    backends::ProcessSpec missing = shell_spec(dir, "true");
    missing.command = "no-such-program-ipfskit";
    backends::SupervisedProcess p(missing);
    auto st = p.start();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message().find("not found in PATH"), std::string::npos);
  }
  {
    backends::ProcessSpec bad_cwd = shell_spec(dir, "true");
    bad_cwd.cwd = dir.file("missing-dir");
    backends::SupervisedProcess p(bad_cwd);
    ASSERT_TRUE(p.start());
    ASSERT_TRUE(eventually([&] { return p.status().last_exit.find("cannot run") != std::string::npos; }));
    EXPECT_EQ(p.status().starts, 0u);
  }
}

// ---------------- the filesystem backend ----------------

struct NodeFixture {
  test::TempDir dir;
  std::unique_ptr<core::Node> node;
  NodeFixture() {
    auto n = core::Node::open(dir.file("repo"), "", 2);
    EXPECT_TRUE(n);
    node = std::move(*n);
  }
  Cid add(size_t size, const std::string& seed) {
    Bytes data = test::deterministic_bytes(seed, size);
    MemoryReader in(data);
    auto p = unixfs::profile_by_name("unixfs-v0-2015");
    core::AddOptions o;
    o.import.dag = p->dag;
    o.import.chunker = *unixfs::parse_chunker("size-65536", p->chunk_size);
    auto r = node->add_stream(in, "", o, nullptr);
    EXPECT_TRUE(r);
    return r->cid;
  }
};

std::unique_ptr<backends::Backend> make(const std::string& name, const json& section, core::Node* node = nullptr) {
  backends::Environment env;
  env.node = node;
  env.request_timeout = 5000ms;
  json s = section;
  EXPECT_EQ(validate_backend(name, s), "");
  auto b = backends::make_backend(name, s, env);
  EXPECT_TRUE(b) << (b ? "" : b.error().message());
  return b ? std::move(*b) : nullptr;
}

TEST(FilesystemBackend, KuboLayoutPinsVerificationAndDamage) {
  NodeFixture f;
  const Cid root = f.add(300000, "fs-backend");  // 5 leaves + a root
  const std::string dir = f.dir.file("flat");
  auto b = make("disk", {{"type", "filesystem"}, {"path", dir}});
  ASSERT_TRUE(b->probe(1000ms));
  EXPECT_EQ(read_text(dir + "/SHARDING"), "/repo/flatfs/shard/v1/next-to-last/2\n");

  backends::PinSpec spec;
  spec.cid = root;
  spec.name = "docs";
  spec.meta = {{"k", "v"}};
  auto receipt = b->pin(spec, f.node->repo().blocks(), nullptr);
  ASSERT_TRUE(receipt) << receipt.error().message();
  EXPECT_EQ(receipt->blocks, 6u);
  EXPECT_EQ(receipt->verified_by, backends::kReadBack);
  // Every block sits at Kubo's path with exactly its bytes.
  std::vector<Cid> all;
  ASSERT_TRUE(f.node->refs(root, true, true, [&](const Cid& c) -> Status {
    all.push_back(c);
    return {};
  }));
  all.push_back(root);
  for (const Cid& c : all)
    EXPECT_EQ(read_text(dir + "/" + backends::flatfs::relative_path(c)), std::string(as_chars(*f.node->block_get(c))));

  std::vector<backends::RemotePin> pins;
  ASSERT_TRUE(b->list_pins([&](const backends::RemotePin& p) -> Status {
    pins.push_back(p);
    return {};
  }));
  ASSERT_EQ(pins.size(), 1u);
  EXPECT_EQ(pins[0].cid, root);
  EXPECT_EQ(pins[0].name, "docs");
  EXPECT_EQ(pins[0].meta.at("k"), "v");

  // A flipped byte is found, never served.
  const std::string victim = dir + "/" + backends::flatfs::relative_path(all[0]);
  std::string bytes = read_text(victim);
  bytes[10] ^= 1;
  { std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes; }
  auto got = b->get_block(all[0]);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kCorruption);
  auto report = b->verify(root, nullptr);
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(report->corrupt_count, 1u);
  // A missing block is counted as missing.
  ASSERT_TRUE(b->put_block(all[0], *f.node->block_get(all[0])));
  ASSERT_TRUE(b->remove_block(all[1]));
  report = b->verify(root, nullptr);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->missing_count, 1u);
  EXPECT_EQ(report->corrupt_count, 0u);
  EXPECT_EQ(b->has_block(all[1]).value(), false);

  ASSERT_TRUE(b->unpin(root));
  EXPECT_FALSE(b->pin_status(root).value().has_value());
  EXPECT_EQ(b->unpin(root).error().code(), Code::kNotFound);
  // No temporaries are left behind.
  for (const Cid& c : all) {
    const std::string shard = dir + "/" + backends::flatfs::relative_path(c).substr(0, 2);
    EXPECT_EQ(std::system(("ls " + shard + " | grep -q '^put-'").c_str()) == 0, false);
  }
}

TEST(FilesystemBackend, RefusesForeignDirectoriesAndMissingMounts) {
  test::TempDir tmp;
  auto missing_parent = make("d", {{"type", "filesystem"}, {"path", tmp.file("not-mounted/blocks")}});
  auto r = missing_parent->probe(1000ms);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("is the disk mounted"), std::string::npos);
  struct stat st;
  EXPECT_NE(::stat(tmp.file("not-mounted").c_str(), &st), 0);  // nothing created outside `path`

  ::mkdir(tmp.file("foreign").c_str(), 0755);
  test::write_file(tmp.file("foreign/holiday.jpg"), as_bytes("jpeg"));
  auto foreign = make("d", {{"type", "filesystem"}, {"path", tmp.file("foreign")}});
  EXPECT_FALSE(foreign->probe(1000ms));

  ::mkdir(tmp.file("other").c_str(), 0755);
  test::write_file(tmp.file("other/SHARDING"), as_bytes("/repo/flatfs/shard/v1/prefix/2\n"));
  auto other = make("d", {{"type", "filesystem"}, {"path", tmp.file("other")}});
  auto o = other->probe(1000ms);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message().find("prefix/2"), std::string::npos);
}

// ---------------- CAR verification and pushing ----------------

Bytes export_car(core::Node& node, const Cid& root) {
  Bytes out;
  EXPECT_TRUE(node.dag_export(root, [&](ByteView b) -> Status {
    append(out, b);
    return {};
  }));
  return out;
}

TEST(VerifyCar, CompleteMissingCorruptAndJunk) {
  NodeFixture f;
  const Cid root = f.add(200000, "car-verify");
  const Cid other = f.add(5000, "car-junk");
  Bytes good = export_car(*f.node, root);
  {
    MemoryReader in(good);
    auto r = backends::verify_car(in, root, nullptr);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->ok());
    EXPECT_EQ(r->blocks, 5u);
  }
  // Rebuild CARs from the blocks: one without a leaf, one with a bad leaf,
  // one with blocks from another DAG added.
  MemoryReader in(good);
  auto reader = *car::Reader::open(in);
  std::vector<car::Block> blocks;
  while (auto b = *reader->next()) blocks.push_back(std::move(*b));
  auto build = [&](auto&& edit) {
    Bytes out;
    car::V1Writer w([&](ByteView b) -> Status {
      append(out, b);
      return {};
    });
    EXPECT_TRUE(w.write_header({root}));
    for (size_t i = 0; i < blocks.size(); ++i) edit(w, i, blocks[i]);
    return out;
  };
  Bytes missing = build([](car::V1Writer& w, size_t i, const car::Block& b) {
    if (i != 2) (void)w.write_block(b.cid, b.data);
  });
  Bytes corrupt = build([](car::V1Writer& w, size_t i, const car::Block& b) {
    Bytes d = b.data;
    if (i == 3) d[0] ^= 0xff;
    (void)w.write_block(b.cid, d);
  });
  Bytes other_block = *f.node->block_get(other);
  Bytes junk = build([&](car::V1Writer& w, size_t, const car::Block& b) {
    (void)w.write_block(other, other_block);
    (void)w.write_block(b.cid, b.data);
  });
  MemoryReader m(missing), c(corrupt), j(junk);
  auto rm = backends::verify_car(m, root, nullptr);
  auto rc = backends::verify_car(c, root, nullptr);
  auto rj = backends::verify_car(j, root, nullptr);
  ASSERT_TRUE(rm && rc && rj);
  EXPECT_EQ(rm->missing_count, 1u);
  EXPECT_FALSE(rm->ok());
  EXPECT_EQ(rc->corrupt_count, 1u);
  EXPECT_EQ(rc->missing_count, 1u);  // the corrupt block does not count as present
  EXPECT_TRUE(rj->ok());
  EXPECT_EQ(rj->blocks, 5u);  // blocks outside the DAG are ignored
  Bytes truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
  MemoryReader t(truncated);
  auto rt = backends::verify_car(t, root, nullptr);
  EXPECT_TRUE(!rt || !rt->ok());
}

TEST(PushDag, EveryBlockOnceConcurrently) {
  NodeFixture f;
  const Cid root = f.add(2000000, "push-dag");
  MemoryBlockStore target;
  std::atomic<int> calls{0};
  auto stats = backends::push_dag(f.node->repo().blocks(), root, 8, [&](const Cid& c, ByteView d) -> Result<std::string> {
    calls++;
    TRY_STATUS(target.put(c, d));
    return std::string(backends::kS3Checksum);
  }, nullptr);
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->blocks, static_cast<uint64_t>(calls.load()));
  EXPECT_EQ(target.size(), stats->blocks);
  EXPECT_TRUE(stats->all_proven);
  // The first failing put stops the push with its error.
  auto failed = backends::push_dag(f.node->repo().blocks(), root, 4, [&](const Cid&, ByteView) -> Result<std::string> {
    return make_error(Code::kUnavailable, "store down");
  }, nullptr);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message(), "store down");
}

TEST(BytePipe, BoundedAndPropagatesErrors) {
  backends::BytePipe pipe(1024);
  std::thread writer([&] {
    Bytes chunk(700, 7);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(pipe.write(chunk));
    pipe.close(Error(Code::kIOError, "writer failed"));
  });
  uint8_t buf[333];
  size_t total = 0;
  for (;;) {
    auto n = pipe.read(buf, sizeof buf);
    if (!n) {
      EXPECT_EQ(n.error().message(), "writer failed");
      break;
    }
    ASSERT_NE(*n, 0u);
    total += *n;
  }
  writer.join();
  EXPECT_EQ(total, 70000u);
  backends::BytePipe gone(16);
  gone.close_reader(Error(Code::kCancelled, "reader left"));
  EXPECT_FALSE(gone.write(Bytes(100, 1)));
}

// ---------------- the gateway backend against a server started here ----------------

// A trustless gateway over a node, which can be told to lie.
struct GatewayServer {
  core::Node& node;
  std::atomic<int> mode{0};  // 0 honest, 1 wrong bytes, 2 truncated CAR, 3 huge body, 4 slow
  http::Server server{"test gateway", http::Limits{}};
  explicit GatewayServer(core::Node& n) : node(n) {
    http::Route r;
    r.method = "GET";
    r.path = "/ipfs/";
    r.prefix = true;
    r.stream_handler = [this](http::Exchange& ex) {
      const std::string cid_text = ex.request().path.substr(6);
      auto cid = Cid::parse(cid_text);
      if (!cid) {
        (void)ex.begin(400, {}, 0);
        return;
      }
      if (mode == 4) std::this_thread::sleep_for(1500ms);
      const bool car = ex.request().param("format").value_or("") == "car";
      if (cid->is_identity()) {
        (void)ex.begin(200, {}, 0);
        return;
      }
      if (mode == 3) {
        (void)ex.begin(200, {}, std::nullopt);
        Bytes junk(1 << 20, 'x');
        for (int i = 0; i < 20; ++i)
          if (!ex.write(junk)) return;
        return;
      }
      if (car) {
        Bytes out;
        (void)node.dag_export(*cid, [&](ByteView b) -> Status {
          append(out, b);
          return {};
        });
        if (mode == 2) {
          out.resize(out.size() / 2);
          (void)ex.begin(200, {{"Content-Type", "application/vnd.ipld.car"}}, std::nullopt);
          (void)ex.write(out);
          ex.abort();
          return;
        }
        (void)ex.begin(200, {{"Content-Type", "application/vnd.ipld.car"}}, out.size());
        (void)ex.write(out);
        return;
      }
      auto data = node.block_get(*cid);
      if (!data) {
        (void)ex.begin(404, {}, 0);
        return;
      }
      if (mode == 1) (*data)[0] ^= 1;
      (void)ex.begin(200, {{"Content-Type", "application/vnd.ipld.raw"}}, data->size());
      (void)ex.write(*data);
    };
    server.add_route(std::move(r));
    EXPECT_TRUE(server.listen("127.0.0.1:0"));
    server.start(1, 4);
  }
  ~GatewayServer() { server.stop(1); }
  std::string url() const { return "http://" + server.address(); }
};

TEST(GatewayBackend, VerifiesEveryBlockAndSurvivesHostileServers) {
  NodeFixture f;
  const Cid root = f.add(150000, "gateway-backend");
  GatewayServer gw(*f.node);
  auto b = make("lassie", {{"url", gw.url()}});
  ASSERT_TRUE(b->probe(2000ms));
  EXPECT_FALSE(b->capabilities().replica);
  auto block = b->get_block(root);
  ASSERT_TRUE(block) << block.error().message();
  EXPECT_EQ(*block, *f.node->block_get(root));
  auto v = b->verify(root, nullptr);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_TRUE(v->ok());
  EXPECT_EQ(b->pin({}, f.node->repo().blocks(), nullptr).error().code(), Code::kUnsupported);
  EXPECT_EQ(b->put_block(root, *block).error().code(), Code::kUnsupported);

  gw.mode = 1;  // wrong bytes
  auto wrong = b->get_block(root);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), Code::kCorruption);
  gw.mode = 2;  // a CAR cut in the middle
  auto cut = b->verify(root, nullptr);
  EXPECT_TRUE(!cut || !cut->ok());
  gw.mode = 3;  // 20 MiB where a block should be
  auto huge = b->get_block(root);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code(), Code::kResourceExhausted);
  gw.mode = 0;
  auto absent = b->get_block(*Cid::parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"));
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code(), Code::kNotFound);

  auto unreachable = make("g", {{"type", "gateway"}, {"url", "http://127.0.0.1:1"}});
  auto down = unreachable->probe(1000ms);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code(), Code::kUnavailable);
}

// ---------------- the registry ----------------

TEST(Registry, StatusesOutagesAlertsAndMetrics) {
  NodeFixture f;
  auto gw = std::make_unique<GatewayServer>(*f.node);
  const std::string url = gw->url();
  Config c = Config::defaults();
  ASSERT_TRUE(c.set("daemon.health_check_timeout", "1"));
  ASSERT_TRUE(c.set_backend("disk", {{"type", "filesystem"}, {"path", f.dir.file("flat")}}));
  ASSERT_TRUE(c.set_backend("gw", {{"type", "gateway"}, {"url", url}}));
  ASSERT_TRUE(c.set_backend("off", {{"type", "gateway"}, {"url", url}, {"enabled", false}}));
  ASSERT_TRUE(c.set_backend("nokey", {{"type", "kubo"}, {"rpc", "http://127.0.0.1:1"}, {"token_env", "IPFSKIT_UNSET_VAR"}}));
  ::unsetenv("IPFSKIT_UNSET_VAR");
  std::atomic<bool> serving{true};
  backends::RegistryOptions o;
  o.repo = f.dir.path();
  o.node = f.node.get();
  o.embedded_serving = [&] { return serving.load(); };
  o.set_embedded_serving = [&](bool on) { serving = on; };
  backends::Registry reg(o);
  reg.configure(c);
  reg.check_now();
  auto status = [&](const std::string& name) { return (*reg.backends_json(name))[name]["health"].get<std::string>(); };
  EXPECT_EQ(status("ipfs"), "healthy");
  EXPECT_EQ(status("disk"), "healthy");
  EXPECT_EQ(status("gw"), "healthy");
  EXPECT_EQ(status("off"), "stopped");
  EXPECT_EQ(status("nokey"), "unconfigured");
  EXPECT_NE((*reg.backends_json("nokey"))["nokey"]["error"].get<std::string>().find("IPFSKIT_UNSET_VAR"), std::string::npos);
  EXPECT_EQ(status("ipfs_cluster"), "unconfigured");
  EXPECT_EQ(status("lotus"), "unsupported");
  EXPECT_EQ(reg.backends_json("nope").error().code(), Code::kNotFound);
  EXPECT_EQ(reg.get("off").error().code(), Code::kUnavailable);
  EXPECT_EQ(reg.set_running("disk", false).error().code(), Code::kUnsupported);  // not a process

  // The gateway goes away: degraded after one miss, down after two, one alert.
  gw.reset();
  reg.check_now("gw");
  EXPECT_EQ(status("gw"), "degraded");
  EXPECT_EQ(reg.alerts_json()["active"].size(), 0u);
  reg.check_now("gw");
  EXPECT_EQ(status("gw"), "unhealthy");
  reg.check_now("gw");
  reg.check_now("gw");
  auto alerts = reg.alerts_json();
  ASSERT_EQ(alerts["active"].size(), 1u);
  EXPECT_EQ(alerts["active"][0]["backend"], "gw");
  EXPECT_EQ(reg.summary()["status"], "degraded");
  metrics::Writer w;
  reg.write_metrics(w);
  EXPECT_NE(w.text().find("ipfskit_backend_up{backend=\"gw\"} 0"), std::string::npos);
  EXPECT_NE(w.text().find("ipfskit_backend_up{backend=\"disk\"} 1"), std::string::npos);
  EXPECT_NE(w.text().find("ipfskit_backend_alerts_total{backend=\"gw\"} 1"), std::string::npos);
  EXPECT_NE(w.text().find("ipfskit_backend_probe_duration_seconds_count{backend=\"gw\"} 5"), std::string::npos);

  // The embedded node stopped on purpose is "stopped", not an outage.
  ASSERT_TRUE(reg.set_running("ipfs", false));
  reg.check_now("ipfs");
  EXPECT_EQ(status("ipfs"), "stopped");
  ASSERT_TRUE(reg.set_running("ipfs", true));
  reg.check_now("ipfs");
  EXPECT_EQ(status("ipfs"), "healthy");

  // Removing a backend from the configuration drops it.
  ASSERT_TRUE(c.remove_backend("gw"));
  reg.configure(c);
  EXPECT_EQ(reg.backends_json("gw").error().code(), Code::kNotFound);
  reg.shutdown();
}

TEST(Registry, SupervisesProcessesFromTheConfiguration) {
  NodeFixture f;
  Config c = Config::defaults();
  ASSERT_TRUE(c.set_backend("svc", {{"type", "gateway"}, {"url", "http://127.0.0.1:1"}, {"command", "sh"},
                                    {"args", json::array({"-c", "echo supervised-output; exec sleep 100"})}}));
  backends::RegistryOptions o;
  o.repo = f.dir.path();
  o.node = f.node.get();
  backends::Registry reg(o);
  reg.configure(c);
  auto proc = [&] { return (*reg.backends_json("svc"))["svc"]["process"]; };
  ASSERT_TRUE(eventually([&] { return proc()["state"] == "running" && proc()["pid"].is_number(); }));
  const int pid = proc()["pid"].get<int>();
  EXPECT_TRUE(eventually([&] {
    return read_text(f.dir.file("logs/backends/svc.log")).find("supervised-output") != std::string::npos;
  }));
  ASSERT_TRUE(reg.set_running("svc", false));
  EXPECT_EQ(proc()["state"], "stopped");
  EXPECT_NE(::kill(pid, 0), 0);
  reg.check_now("svc");
  EXPECT_EQ((*reg.backends_json("svc"))["svc"]["health"], "stopped");
  ASSERT_TRUE(reg.set_running("svc", true));
  ASSERT_TRUE(eventually([&] { return proc()["state"] == "running"; }));
  // Changing its command line restarts it; removing it stops it.
  ASSERT_TRUE(c.set("backends.svc.args", R"(["-c", "echo second-version; exec sleep 100"])"));
  reg.configure(c);
  EXPECT_TRUE(eventually([&] {
    return read_text(f.dir.file("logs/backends/svc.log")).find("second-version") != std::string::npos;
  }));
  const int pid2 = proc()["pid"].is_number() ? proc()["pid"].get<int>() : 0;
  ASSERT_TRUE(c.remove_backend("svc"));
  reg.configure(c);
  if (pid2 != 0) {
    EXPECT_TRUE(eventually([&] { return ::kill(pid2, 0) != 0; }));
  }
  reg.shutdown();
}

}  // namespace
}  // namespace ipfskit
