#include "dashboard/assets.h"

#include <cctype>
#include <string>

#include "base/ascii.h"

namespace ipfskit::dashboard {

namespace {

// The q of one Accept-Encoding element ("gzip;q=0.5"); 1 when absent, 0 when
// malformed (a client that cannot spell q gets the safe choice).
double quality(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    std::string_view p = trim_ows(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      std::string v(trim_ows(p.substr(2)));
      if (v.empty() || v.size() > 5) return 0;
      for (char c : v)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return 0;
      return std::strtod(v.c_str(), nullptr);
    }
  }
  return 1;
}

}  // namespace

const EmbeddedFile* find_asset(std::string_view name) {
  for (const EmbeddedFile& f : embedded_files())
    if (f.name == name) return &f;
  return nullptr;
}

std::string_view content_type(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

bool accepts_gzip(std::string_view header) {
  std::string h = ascii_lower(header);
  std::string_view rest = h;
  std::optional<double> gzip, star;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = trim_ows(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = trim_ows(item.substr(0, semi));
    double q = semi == std::string_view::npos ? 1 : quality(item.substr(semi + 1));
    if (coding == "gzip" || coding == "x-gzip") gzip = q;
    else if (coding == "*") star = q;
  }
  if (gzip) return *gzip > 0;
  return star && *star > 0;
}

http::Response asset_response(const http::Request& req, const EmbeddedFile& f) {
  const bool gz = accepts_gzip(req.header("accept-encoding").value_or(""));
  const std::string etag = "\"" + std::string(f.hash) + (gz ? "-gz" : "") + "\"";
  http::Response r;
  r.headers.emplace_back("Content-Type", std::string(content_type(f.name)));
  r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  const bool versioned = req.param("v").value_or("") == f.hash;
  r.headers.emplace_back("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "no-cache");
  if (auto inm = req.header("if-none-match"); inm && inm->find(etag) != std::string::npos) {
    r.status = 304;
    return r;
  }
  if (gz) r.headers.emplace_back("Content-Encoding", "gzip");
  const std::string_view body = gz ? f.gzip : f.raw;
  if (req.method == "HEAD") r.head_length = body.size();
  else r.body.assign(body.data(), body.size());
  return r;
}

}  // namespace ipfskit::dashboard
