#include <gtest/gtest.h>

#include "config/config.h"
#include "test_util.h"

namespace ipfskit {
namespace {

TEST(Config, DefaultsFollowTheSeeds) {
  Config c = Config::defaults();
  EXPECT_EQ(c.get("daemon.log_level")->get<std::string>(), "INFO");
  EXPECT_EQ(c.get("daemon.health_check_interval")->get<int>(), 30);
  EXPECT_EQ(c.get("replication.min_replicas")->get<int>(), 2);
  EXPECT_EQ(c.get("replication.max_replicas")->get<int>(), 5);
  EXPECT_EQ(c.get("daemon.api_address")->get<std::string>(), "127.0.0.1:8887");
  EXPECT_TRUE(c.get("daemon.api_token")->is_null());
  EXPECT_TRUE(c.get("backends.lotus.enabled")->is_boolean());
  EXPECT_EQ(c.get("import.profile")->get<std::string>(), "unixfs-v0-2015");
}

TEST(Config, SetValidatesAndNormalizes) {
  Config c = Config::defaults();
  EXPECT_TRUE(c.set("daemon.log_level", "debug"));
  EXPECT_EQ(c.get("daemon.log_level")->get<std::string>(), "DEBUG");
  EXPECT_TRUE(c.set("daemon.health_check_interval", "60"));
  EXPECT_EQ(c.get("daemon.health_check_interval")->get<int>(), 60);
  EXPECT_TRUE(c.set("backends.ipfs_cluster.enabled", "false"));
  EXPECT_TRUE(c.set("import.chunker", "rabin-16-256-4096"));

  auto unknown = c.set("daemon.nope", "1");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(c.set("daemon.health_check_interval", "soon"));
  EXPECT_FALSE(c.set("daemon.health_check_interval", "0"));
  EXPECT_FALSE(c.set("daemon.api_address", "localhost"));
  EXPECT_FALSE(c.set("daemon.api_address", "127.0.0.1:99999"));
  EXPECT_FALSE(c.set("replication.min_replicas", "9"));  // above max_replicas (5)
  EXPECT_FALSE(c.set("import.chunker", "size-0"));
  EXPECT_FALSE(c.set("backends.ipfs.enabled", "yes"));
  // Failed sets changed nothing.
  EXPECT_EQ(c.get("daemon.health_check_interval")->get<int>(), 60);
}

TEST(Config, SaveLoadAndRejectBadFiles) {
  test::TempDir tmp;
  Config c = Config::defaults();
  ASSERT_TRUE(c.set("daemon.api_token", "s3cret"));
  ASSERT_TRUE(c.save(tmp.file("config.json")));
  auto back = Config::load(tmp.file("config.json"));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->get("daemon.api_token")->get<std::string>(), "s3cret");

  test::write_file(tmp.file("partial.json"), as_bytes(R"({"daemon": {"log_level": "ERROR"}})"));
  auto partial = Config::load(tmp.file("partial.json"));
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->get("daemon.log_level")->get<std::string>(), "ERROR");
  EXPECT_EQ(partial->get("daemon.health_check_interval")->get<int>(), 30);

  test::write_file(tmp.file("bad.json"), as_bytes("{not json"));
  EXPECT_FALSE(Config::load(tmp.file("bad.json")));
  test::write_file(tmp.file("unknown.json"), as_bytes(R"({"daemon": {"colour": "blue"}})"));
  EXPECT_FALSE(Config::load(tmp.file("unknown.json")));
  test::write_file(tmp.file("badvalue.json"), as_bytes(R"({"replication": {"min_replicas": "two"}})"));
  EXPECT_FALSE(Config::load(tmp.file("badvalue.json")));
  EXPECT_TRUE(Config::load_or_default(tmp.file("missing.json")));
}

}  // namespace
}  // namespace ipfskit
