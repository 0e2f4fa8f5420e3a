// The MCP protocol layer against a test double of api::Client: message
// parsing, schema validation, the tool table's contracts, both protocol eras'
// answers, pagination, path confinement. The real binary is exercised by
// tests/interop/mcp*.test.mjs with the official SDKs and the conformance suite.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "client/http_client.h"
#include "mcp/json_schema.h"
#include "mcp/jsonrpc.h"
#include "mcp/listener.h"
#include "mcp/resources.h"
#include "mcp/server.h"
#include "mcp/tools.h"
#include "multiformats/multicodec.h"
#include "mcp_fake_client.h"
#include "test_util.h"

namespace ipfskit::mcp {
namespace {

using nlohmann::json;

json request(json id, std::string method, json params = json::object()) {
  return json{{"jsonrpc", "2.0"}, {"id", std::move(id)}, {"method", std::move(method)}, {"params", std::move(params)}};
}

json modern_meta() {
  return json{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}, {"io.modelcontextprotocol/clientCapabilities", json::object()}};
}

class McpTest : public ::testing::Test {
 protected:
  FakeClient client;
  std::unique_ptr<Server> server;
  void SetUp() override { server = std::make_unique<Server>(client, ServerOptions{}); }

  json call(const json& msg, bool modern = false, std::shared_ptr<Session> session = nullptr,
            std::function<void(const json&)> notify = nullptr) {
    auto m = to_message(msg);
    EXPECT_TRUE(m.has_value());
    RequestContext ctx;
    ctx.modern = modern;
    ctx.session = std::move(session);
    ctx.notify = std::move(notify);
    return server->handle_request(*m, ctx);
  }
  json tool(const std::string& name, json args, bool modern = false) {
    json params{{"name", name}, {"arguments", std::move(args)}};
    if (modern) params["_meta"] = modern_meta();
    return call(request(1, "tools/call", params), modern);
  }
};

TEST(McpJsonRpc, ParsesAndRefusesMalformedMessages) {
  EXPECT_EQ(parse_message("{").error().error.code, rpc::kParseError);
  EXPECT_EQ(parse_message("[]").error().error.code, rpc::kInvalidRequest);
  EXPECT_EQ(parse_message("42").error().error.code, rpc::kInvalidRequest);
  EXPECT_EQ(parse_message(R"({"id":1,"method":"x"})").error().error.code, rpc::kInvalidRequest);
  EXPECT_EQ(parse_message(R"({"jsonrpc":"2.0","id":1.5,"method":"x"})").error().error.code, rpc::kInvalidRequest);
  EXPECT_EQ(parse_message(R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})").error().error.code, rpc::kInvalidRequest);
  auto bad_params = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"x","params":3})");
  EXPECT_EQ(bad_params.error().id, 7);  // the reply can name the request
  auto n = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, Message::Kind::kNotification);
  auto r = parse_message(R"({"jsonrpc":"2.0","id":"a","result":{}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, Message::Kind::kResponse);
  std::string big(kMaxMessageBytes + 1, ' ');
  EXPECT_EQ(parse_message(big).error().error.code, rpc::kInvalidRequest);
  // An error without a readable id has no "id" member.
  EXPECT_FALSE(make_error(nullptr, RpcError{rpc::kParseError, "x", nullptr}).contains("id"));
}

TEST(McpSchema, EveryToolSchemaUsesOnlyValidatedKeywords) {
  std::set<std::string> names;
  std::string previous;
  for (const Tool& t : tool_table()) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_LT(previous, t.name) << "tools must be sorted";
    previous = t.name;
    EXPECT_EQ(t.input_schema["type"], "object") << t.name;
    EXPECT_FALSE(unsupported_keyword(t.input_schema)) << t.name << ": " << *unsupported_keyword(t.input_schema);
    EXPECT_FALSE(unsupported_keyword(t.output_schema)) << t.name << ": " << *unsupported_keyword(t.output_schema);
    for (char c : t.name) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '_') << t.name;
    json d = describe_tool(t);
    EXPECT_EQ(d["annotations"]["readOnlyHint"], t.read_only);
    if (t.read_only) {
      EXPECT_FALSE(d["annotations"].contains("destructiveHint"));
    }
  }
  EXPECT_GE(tool_table().size(), 35u);
  // Hints that matter most.
  EXPECT_TRUE(find_tool("repo_gc")->destructive);
  EXPECT_TRUE(find_tool("pin_rm")->destructive);
  EXPECT_FALSE(find_tool("pin_add")->destructive);
  EXPECT_TRUE(find_tool("pin_ls")->read_only);
  EXPECT_FALSE(find_tool("add")->read_only);
}

TEST(McpSchema, ValidatesArguments) {
  const json& s = find_tool("pin_ls")->input_schema;
  EXPECT_FALSE(validate_schema(s, json::object()));
  EXPECT_FALSE(validate_schema(s, json{{"limit", 100}}));
  EXPECT_TRUE(validate_schema(s, json{{"limit", 0}}));
  EXPECT_TRUE(validate_schema(s, json{{"limit", "100"}}));
  EXPECT_TRUE(validate_schema(s, json{{"limit", 1.5}}));
  EXPECT_FALSE(validate_schema(s, json{{"limit", 2.0}}));  // an integer written as a number
  EXPECT_TRUE(validate_schema(s, json{{"type", "everything"}}));
  EXPECT_TRUE(validate_schema(s, json{{"limt", 5}}));  // a misspelt argument is an error
  const json& add = find_tool("add")->input_schema;
  EXPECT_FALSE(validate_schema(add, json{{"content", "x"}}));
  EXPECT_TRUE(validate_schema(add, json::object()));                           // neither
  EXPECT_TRUE(validate_schema(add, json{{"content", "x"}, {"path", "/a"}}));   // both
  EXPECT_TRUE(validate_schema(add, json{{"content", "x"}, {"pin_meta", {{"k", 1}}}}));
  auto e = validate_schema(find_tool("pin_add")->input_schema, json{{"cids", json::array()}});
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("/cids"), std::string::npos) << *e;
}

TEST_F(McpTest, InitializeNegotiatesLegacyVersions) {
  auto session = server->create_session();
  json r = call(request(1, "initialize", {{"protocolVersion", "2025-06-18"}, {"capabilities", json::object()},
                                          {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
                false, session);
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-06-18");
  EXPECT_EQ(r["result"]["serverInfo"]["name"], "ipfs-kit");
  EXPECT_TRUE(r["result"]["capabilities"]["resources"]["subscribe"]);
  EXPECT_FALSE(r["result"].contains("resultType"));
  json r2 = call(request(2, "initialize", {{"protocolVersion", "1999-01-01"}}), false, server->create_session());
  EXPECT_EQ(r2["result"]["protocolVersion"], "2025-11-25");
  json bad = call(request(3, "initialize", json::object()), false, server->create_session());
  EXPECT_EQ(bad["error"]["code"], rpc::kInvalidParams);
}

TEST_F(McpTest, ToolErrorsAreResultsAndUnknownToolsAreProtocolErrors) {
  json unknown = tool("no_such_tool", json::object());
  EXPECT_EQ(unknown["error"]["code"], rpc::kInvalidParams);
  json invalid = tool("pin_ls", {{"limit", "many"}});
  EXPECT_TRUE(invalid["result"]["isError"]);
  EXPECT_NE(invalid["result"]["content"][0]["text"].get<std::string>().find("/limit"), std::string::npos);
  json not_found = tool("cat", {{"path", raw_cid("nothing").to_string()}});
  EXPECT_TRUE(not_found["result"]["isError"]);
  json needs_daemon = tool("health", json::object());
  EXPECT_TRUE(needs_daemon["result"]["isError"]);
  EXPECT_NE(needs_daemon["result"]["content"][0]["text"].get<std::string>().find("daemon start"), std::string::npos);
  json args_not_object = call(request(9, "tools/call", {{"name", "pin_ls"}, {"arguments", json::array()}}));
  EXPECT_EQ(args_not_object["error"]["code"], rpc::kInvalidParams);
}

TEST_F(McpTest, AddCatRoundTripWithProgressAndStructuredContent) {
  std::vector<json> notes;
  json params{{"name", "add"},
              {"arguments", {{"content", "aGVsbG8gd29ybGQ="}, {"encoding", "base64"}, {"pin_name", "greeting"}}},
              {"_meta", {{"progressToken", "p1"}}}};
  json r = call(request(1, "tools/call", params), false, nullptr, [&](const json& n) { notes.push_back(n); });
  ASSERT_FALSE(r["result"]["isError"]) << r.dump();
  const std::string cid = r["result"]["structuredContent"]["cid"];
  EXPECT_EQ(cid, raw_cid("hello world").to_string());
  EXPECT_FALSE(validate_schema(find_tool("add")->output_schema, r["result"]["structuredContent"]));
  EXPECT_EQ(json::parse(r["result"]["content"][0]["text"].get<std::string>()), r["result"]["structuredContent"]);
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes.back()["method"], "notifications/progress");
  EXPECT_EQ(notes.back()["params"]["progressToken"], "p1");
  EXPECT_EQ(notes.back()["params"]["progress"], 11);

  json c = tool("cat", {{"path", cid}, {"offset", 6}, {"length", 3}});
  EXPECT_EQ(c["result"]["structuredContent"]["content"], "wor");
  EXPECT_EQ(c["result"]["structuredContent"]["eof"], false);
  EXPECT_FALSE(validate_schema(find_tool("cat")->output_schema, c["result"]["structuredContent"]));
  json b = tool("cat", {{"path", cid}, {"encoding", "base64"}});
  EXPECT_EQ(b["result"]["structuredContent"]["content"], "aGVsbG8gd29ybGQ=");
  json past = tool("cat", {{"path", cid}, {"offset", 12}});
  EXPECT_TRUE(past["result"]["isError"]);
}

TEST_F(McpTest, PinListPagesWithCursors) {
  for (int i = 0; i < 250; ++i) client.pins.push_back({i + 1, raw_cid(std::to_string(i)), repo::PinType::kRecursive, "p" + std::to_string(i), i, {}});
  std::set<std::string> seen;
  json args{{"limit", 100}};
  int pages = 0;
  for (;;) {
    json r = tool("pin_ls", args);
    const json& sc = r["result"]["structuredContent"];
    EXPECT_FALSE(validate_schema(find_tool("pin_ls")->output_schema, sc)) << sc.dump();
    for (const auto& p : sc["pins"]) EXPECT_TRUE(seen.insert(p["cid"]).second);
    ++pages;
    if (!sc.contains("nextCursor")) break;
    args["cursor"] = sc["nextCursor"];
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 250u);
  json bad = tool("pin_ls", {{"cursor", "garbage"}});
  EXPECT_TRUE(bad["result"]["isError"]);
  json other = tool("pin_ls", {{"cursor", encode_cursor("ls", 5)}});  // a cursor of another list
  EXPECT_TRUE(other["result"]["isError"]);
  json offset = tool("pin_ls", {{"cursor", encode_cursor("pin_ls", 5)}});  // an offset cursor is not a pin_ls cursor
  EXPECT_TRUE(offset["result"]["isError"]);
}

TEST_F(McpTest, PinListCursorsAreKeysetsThatSurviveChanges) {
  for (int i = 0; i < 10; ++i)
    client.pins.push_back({i + 1, raw_cid(std::to_string(i)), repo::PinType::kRecursive, "p" + std::to_string(i), i,
                           {{"team", i % 2 ? "odd" : "even"}}});
  json first = tool("pin_ls", {{"limit", 4}, {"type", "recursive"}});
  const json& sc = first["result"]["structuredContent"];
  ASSERT_EQ(sc["pins"].size(), 4u);
  // The cursor names the last row shown, not a position: removing a pin of
  // the first page shifts nothing, and the next page starts after row 4.
  client.pins.erase(client.pins.begin());
  json second = tool("pin_ls", {{"limit", 4}, {"type", "recursive"}, {"cursor", sc["nextCursor"]}});
  EXPECT_EQ(second["result"]["structuredContent"]["pins"][0]["cid"], raw_cid("4").to_string());
  // The pin index is asked for the page from its row, never for the rows before it.
  client.pin_ls_calls = 0;
  (void)tool("pin_ls", {{"limit", 4}, {"type", "recursive"}, {"cursor", sc["nextCursor"]}});
  EXPECT_EQ(client.pin_ls_calls, 1);
  // Filtered by a metadata key and value.
  json odd = tool("pin_ls", {{"meta", {{"key", "team"}, {"value", "odd"}}}, {"metadata", true}});
  ASSERT_FALSE(odd["result"]["isError"]) << odd.dump();
  EXPECT_EQ(odd["result"]["structuredContent"]["pins"].size(), 5u);
  for (const auto& p : odd["result"]["structuredContent"]["pins"]) EXPECT_EQ(p["metadata"]["team"], "odd");
  json half = tool("pin_ls", {{"meta", {{"key", "team"}}}});
  EXPECT_TRUE(half["result"]["isError"]);  // key without value: schema-invalid
}

TEST_F(McpTest, ResourcesListPagesFixedResourcesThenPins) {
  for (int i = 0; i < 250; ++i) client.pins.push_back({i + 1, raw_cid(std::to_string(i)), repo::PinType::kRecursive, std::nullopt, i, {}});
  std::set<std::string> uris;
  json params = json::object();
  int pages = 0;
  for (;;) {
    json r = call(request(pages + 1, "resources/list", params));
    ASSERT_TRUE(r.contains("result")) << r.dump();
    for (const auto& res : r["result"]["resources"]) EXPECT_TRUE(uris.insert(res["uri"]).second) << res["uri"];
    ++pages;
    if (!r["result"].contains("nextCursor")) break;
    params["cursor"] = r["result"]["nextCursor"];
  }
  EXPECT_EQ(uris.size(), 255u);  // five fixed resources and every pin, each once
  EXPECT_EQ(pages, 3);
  json bad = call(request(9, "resources/list", {{"cursor", encode_cursor("pin_ls", Cursor{'k', 3})}}));
  EXPECT_EQ(bad["error"]["code"], rpc::kInvalidParams);
}

TEST_F(McpTest, PinningServiceTokens) {
  json made = tool("psa_token_create", {{"name", "ci"}});
  ASSERT_FALSE(made["result"]["isError"]) << made.dump();
  EXPECT_EQ(made["result"]["structuredContent"]["token"], "secret-ci");
  EXPECT_FALSE(validate_schema(find_tool("psa_token_create")->output_schema, made["result"]["structuredContent"]));
  EXPECT_TRUE(tool("psa_token_create", {{"name", "ci"}})["result"]["isError"]);  // a taken name
  (void)tool("psa_token_create", {{"name", "other"}});
  json page = tool("psa_token_ls", {{"limit", 1}});
  ASSERT_EQ(page["result"]["structuredContent"]["tokens"].size(), 1u);
  EXPECT_FALSE(page["result"]["structuredContent"]["tokens"][0].contains("token"));  // never the secret
  json rest = tool("psa_token_ls", {{"limit", 1}, {"cursor", page["result"]["structuredContent"]["nextCursor"]}});
  EXPECT_EQ(rest["result"]["structuredContent"]["tokens"][0]["name"], "other");
  EXPECT_FALSE(rest["result"]["structuredContent"].contains("nextCursor"));
  EXPECT_FALSE(tool("psa_token_rm", {{"name", "ci"}})["result"]["isError"]);
  EXPECT_TRUE(tool("psa_token_rm", {{"name", "ci"}})["result"]["isError"]);
  const Tool* create = find_tool("psa_token_create");
  EXPECT_FALSE(create->read_only);
  EXPECT_FALSE(create->idempotent);  // a new secret each time
  EXPECT_TRUE(find_tool("psa_token_rm")->destructive);
  EXPECT_TRUE(find_tool("psa_token_ls")->read_only);
}

TEST_F(McpTest, BatchItemsFailIndependently) {
  client.files[raw_cid("a").to_string()] = "a";
  json r = tool("pin_add", {{"cids", {raw_cid("a").to_string(), raw_cid("b").to_string()}}, {"name", "n"}});
  const json& sc = r["result"]["structuredContent"];
  EXPECT_EQ(sc["succeeded"], 1);
  EXPECT_EQ(sc["failed"], 1);
  EXPECT_FALSE(sc["results"][1]["ok"]);
  EXPECT_FALSE(validate_schema(find_tool("pin_add")->output_schema, sc));
  json bad = tool("pin_add", {{"cids", {"not-a-cid"}}});
  EXPECT_TRUE(bad["result"]["isError"]);
  EXPECT_EQ(client.pins.size(), 1u);  // nothing was pinned by the refused call
}

TEST_F(McpTest, ModernEraIsStatelessWithResultTypeAndCacheHints) {
  json d = call(request(1, "server/discover", {{"_meta", modern_meta()}}), true);
  EXPECT_EQ(d["result"]["resultType"], "complete");
  EXPECT_EQ(d["result"]["supportedVersions"][0], "2026-07-28");
  EXPECT_TRUE(d["result"].contains("ttlMs"));
  EXPECT_EQ(d["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "ipfs-kit");
  json tl = call(request(2, "tools/list", {{"_meta", modern_meta()}}), true);
  EXPECT_EQ(tl["result"]["cacheScope"], "public");
  EXPECT_EQ(tl["result"]["tools"].size(), tool_table().size());
  json no_meta = call(request(3, "tools/list"), true);
  EXPECT_EQ(no_meta["error"]["code"], rpc::kInvalidParams);
  json old = modern_meta();
  old["io.modelcontextprotocol/protocolVersion"] = "2099-01-01";
  json unsupported_version = call(request(4, "tools/list", {{"_meta", old}}), true);
  EXPECT_EQ(unsupported_version["error"]["code"], rpc::kUnsupportedProtocolVersion);
  EXPECT_EQ(unsupported_version["error"]["data"]["requested"], "2099-01-01");
  json ping = call(request(5, "ping", {{"_meta", modern_meta()}}), true);
  EXPECT_EQ(ping["error"]["code"], rpc::kMethodNotFound);
  json t = tool("cid_codecs", json::object(), true);
  EXPECT_EQ(t["result"]["resultType"], "complete");
}

TEST_F(McpTest, ResourcesListReadAndNotFoundCodesPerEra) {
  client.files[raw_cid("x").to_string()] = "x";
  client.pins.push_back({1, raw_cid("x"), repo::PinType::kRecursive, std::nullopt, 1, {}});
  json l = call(request(1, "resources/list"));
  bool has_pin = false;
  for (const auto& r : l["result"]["resources"]) has_pin = has_pin || r["uri"] == "ipfs://" + raw_cid("x").to_string();
  EXPECT_TRUE(has_pin);
  json read = call(request(2, "resources/read", {{"uri", "ipfs://" + raw_cid("x").to_string()}}));
  EXPECT_EQ(read["result"]["contents"][0]["text"], "x");
  json legacy_missing = call(request(3, "resources/read", {{"uri", "ipfs-kit://nothing"}}));
  EXPECT_EQ(legacy_missing["error"]["code"], rpc::kResourceNotFoundLegacy);
  json modern_missing = call(request(4, "resources/read", {{"uri", "ipfs-kit://nothing"}, {"_meta", modern_meta()}}), true);
  EXPECT_EQ(modern_missing["error"]["code"], rpc::kInvalidParams);
  json templates = call(request(5, "resources/templates/list"));
  EXPECT_EQ(templates["result"]["resourceTemplates"][0]["uriTemplate"], "ipfs://{cid}{/path*}");
}

TEST_F(McpTest, BackendHealthChangesReachSubscribers) {
  client.daemon = true;
  auto session = server->create_session();
  session->protocol_version = "2025-11-25";
  session->standalone = std::make_shared<Outbox>();
  json subscribed = call(request(1, "resources/subscribe", {{"uri", "ipfs-kit://backends"}}), false, session);
  EXPECT_TRUE(subscribed.contains("result")) << subscribed.dump();
  auto msg = to_message(request(2, "subscriptions/listen",
                                {{"_meta", modern_meta()}, {"notifications", {{"resourceSubscriptions", {"ipfs-kit://backends/ipfs"}}}}}));
  auto sub = server->listen(*msg);
  ASSERT_TRUE(sub);
  auto ack = (*sub)->outbox->wait(100);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0]["method"], "notifications/subscriptions/acknowledged");
  EXPECT_EQ(ack[0]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 2);
  server->poll_health_now();
  EXPECT_TRUE(session->standalone->wait(10).empty());  // nothing changed yet
  client.backend_health = "unhealthy";
  server->poll_health_now();
  auto legacy = session->standalone->wait(100);
  ASSERT_EQ(legacy.size(), 1u);
  EXPECT_EQ(legacy[0]["params"]["uri"], "ipfs-kit://backends");
  auto modern = (*sub)->outbox->wait(100);
  ASSERT_EQ(modern.size(), 1u);
  EXPECT_EQ(modern[0]["params"]["uri"], "ipfs-kit://backends/ipfs");
  server->shutdown();
  auto closing = (*sub)->outbox->wait(100);
  ASSERT_EQ(closing.size(), 1u);
  EXPECT_EQ(closing[0]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 2);
}

TEST_F(McpTest, CancellationStopsATool) {
  auto session = server->create_session();
  auto token = std::make_shared<CancelToken>();
  session->in_flight[json(7).dump()] = token;
  server->handle_notification(*to_message(json{{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"},
                                              {"params", {{"requestId", 7}}}}),
                              session);
  EXPECT_TRUE(token->cancelled());
  RequestContext ctx;
  ctx.cancel = token;
  json r = server->handle_request(*to_message(request(7, "tools/call", {{"name", "add"}, {"arguments", {{"content", "abc"}}}})), ctx);
  EXPECT_TRUE(r["result"]["isError"]);
  EXPECT_NE(r["result"]["content"][0]["text"].get<std::string>().find("cancelled"), std::string::npos);
  EXPECT_TRUE(client.files.empty());
}

// Other front ends on the same listener (the dashboard) add their routes
// through http() before start(); they are served beside /mcp and behind the
// same Host and token checks.
TEST(McpListener, RoutesAddedBeforeStartAreServedBehindTheSameChecks) {
  FakeClient client;
  Server server(client, ServerOptions{});
  ListenerOptions lo;
  lo.address = "127.0.0.1:0";
  std::string token = "";
  lo.token = [&token] { return token; };
  Listener listener(server, lo);
  listener.http().add_route({"GET", "/hello", false,
                             [](const http::Request&) { return http::Response::text(200, "hello from another front end"); },
                             nullptr, 0});
  ASSERT_TRUE(listener.listen());
  listener.start();
  client::HttpClient http("http://" + listener.address(), "");
  auto hello = http.get("/hello");
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->status, 200);
  EXPECT_EQ(hello->body, "hello from another front end");
  auto health = http.get("/api/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  token = "secret";
  auto denied = http.get("/hello");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  client::HttpClient with_token("http://" + listener.address(), "secret");
  auto allowed = with_token.get("/hello");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  server.shutdown();
  listener.stop();
}

TEST(McpPaths, ServerPathsStayUnderAllowedRoots) {
  test::TempDir dir, outside;
  Policy none;
  EXPECT_EQ(allowed_path(none, dir.path(), PathUse::kRead).error().code(), Code::kPermissionDenied);
  Policy p;
  p.allowed_roots = {dir.path()};
  test::write_file(dir.file("a.txt"), as_bytes(std::string("a")));
  test::write_file(outside.file("secret"), as_bytes(std::string("s")));
  EXPECT_TRUE(allowed_path(p, dir.file("a.txt"), PathUse::kRead));
  EXPECT_EQ(allowed_path(p, outside.file("secret"), PathUse::kRead).error().code(), Code::kPermissionDenied);
  EXPECT_EQ(allowed_path(p, dir.path() + "/../" + outside.file("secret").substr(1), PathUse::kRead).error().code(),
            Code::kPermissionDenied);
  ASSERT_EQ(::symlink(outside.file("secret").c_str(), dir.file("link").c_str()), 0);
  EXPECT_EQ(allowed_path(p, dir.file("link"), PathUse::kRead).error().code(), Code::kPermissionDenied);
  ASSERT_EQ(::symlink(outside.path().c_str(), dir.file("dirlink").c_str()), 0);
  EXPECT_EQ(allowed_path(p, dir.file("dirlink") + "/new", PathUse::kCreate).error().code(), Code::kPermissionDenied);
  EXPECT_TRUE(allowed_path(p, dir.file("new"), PathUse::kCreate));
  EXPECT_EQ(allowed_path(p, dir.file("a.txt"), PathUse::kCreate).error().code(), Code::kAlreadyExists);
  EXPECT_FALSE(allowed_path(p, "relative/path", PathUse::kRead));
  // A root's sibling with a common prefix is not inside it.
  ::mkdir((dir.path() + "-x").c_str(), 0755);
  EXPECT_FALSE(allowed_path(p, dir.path() + "-x", PathUse::kRead));
  ::rmdir((dir.path() + "-x").c_str());
}

}  // namespace
}  // namespace ipfskit::mcp
