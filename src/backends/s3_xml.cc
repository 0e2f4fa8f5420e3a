#include "backends/s3_xml.h"

#include <expat.h>

#include <charconv>
#include <cstring>

namespace ipfskit::backends::s3xml {

namespace {

constexpr size_t kMaxDocument = 16 << 20;
constexpr size_t kMaxText = 4096;
constexpr size_t kMaxObjects = 10000;
constexpr size_t kMaxDepth = 16;

// Collects the text of elements by their path ("ListBucketResult/Contents/Key").
struct Collector {
  XML_Parser parser = nullptr;
  std::vector<std::string> path;
  std::string text;
  std::string error;
  std::string root;
  std::function<void(const std::string& path)> on_start;
  std::function<void(const std::string& path, const std::string& text)> on_end;

  std::string joined() const {
    std::string p;
    for (const auto& e : path) p += (p.empty() ? "" : "/") + e;
    return p;
  }
  void fail(std::string why) {
    if (error.empty()) error = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }
};

void on_start(void* user, const XML_Char* name, const XML_Char**) {
  auto* c = static_cast<Collector*>(user);
  if (c->path.size() >= kMaxDepth) return c->fail("nested too deeply");
  const char* local = std::strrchr(name, ':');  // a prefixed name: keep the local part
  c->path.emplace_back(local != nullptr ? local + 1 : name);
  if (c->path.size() == 1) c->root = c->path[0];
  c->text.clear();
  if (c->on_start) c->on_start(c->joined());
}

void on_end(void* user, const XML_Char*) {
  auto* c = static_cast<Collector*>(user);
  if (c->path.empty()) return;
  if (c->on_end) c->on_end(c->joined(), c->text);
  c->path.pop_back();
  c->text.clear();
}

void on_text(void* user, const XML_Char* s, int len) {
  auto* c = static_cast<Collector*>(user);
  if (c->text.size() + static_cast<size_t>(len) > kMaxText) return c->fail("an element's text is too long");
  c->text.append(s, static_cast<size_t>(len));
}

void on_doctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<Collector*>(user)->fail("a document type declaration is not allowed");
}

Status run(Collector& c, std::string_view xml) {
  if (xml.size() > kMaxDocument) return corruption("S3 response larger than " + std::to_string(kMaxDocument) + " bytes");
  XML_Parser p = XML_ParserCreate("UTF-8");
  if (p == nullptr) return internal_error("XML_ParserCreate failed");
  c.parser = p;
  XML_SetUserData(p, &c);
  XML_SetElementHandler(p, on_start, on_end);
  XML_SetCharacterDataHandler(p, on_text);
  XML_SetStartDoctypeDeclHandler(p, on_doctype);
  const XML_Status st = XML_Parse(p, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  std::string message;
  if (!c.error.empty()) message = c.error;
  else if (st != XML_STATUS_OK) message = XML_ErrorString(XML_GetErrorCode(p));
  XML_ParserFree(p);
  if (!message.empty()) return corruption("malformed S3 XML: " + message);
  return {};
}

}  // namespace

Result<ListPage> parse_list(std::string_view xml) {
  ListPage page;
  Collector c;
  Object current;
  bool in_contents = false;
  c.on_start = [&](const std::string& path) {
    if (path == "ListBucketResult/Contents") {
      in_contents = true;
      current = Object{};
    }
  };
  c.on_end = [&](const std::string& path, const std::string& text) {
    if (path == "ListBucketResult/Contents/Key") {
      current.key = text;
    } else if (path == "ListBucketResult/Contents/Size") {
      uint64_t v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || ptr != text.data() + text.size()) return c.fail("an object size is not a number");
      current.size = v;
    } else if (path == "ListBucketResult/Contents" && in_contents) {
      in_contents = false;
      if (current.key.empty()) return c.fail("an object without a key");
      if (page.objects.size() >= kMaxObjects) return c.fail("too many objects in one page");
      page.objects.push_back(std::move(current));
    } else if (path == "ListBucketResult/IsTruncated") {
      page.truncated = text == "true";
    } else if (path == "ListBucketResult/NextContinuationToken") {
      page.next_token = text;
    }
  };
  TRY_STATUS(run(c, xml));
  if (c.root != "ListBucketResult") return corruption("the S3 listing is not a ListBucketResult");
  if (page.truncated && page.next_token.empty()) return corruption("a truncated S3 listing without a continuation token");
  return page;
}

std::optional<ErrorDoc> parse_error(std::string_view xml) {
  ErrorDoc doc;
  Collector c;
  c.on_end = [&](const std::string& path, const std::string& text) {
    if (path == "Error/Code") doc.code = text;
    else if (path == "Error/Message") doc.message = text;
  };
  if (!run(c, xml) || c.root != "Error") return std::nullopt;
  return doc;
}

}  // namespace ipfskit::backends::s3xml
