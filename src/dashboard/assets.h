// The dashboard's static files (src/dashboard/assets/), compiled into the
// binary by embed_assets.cmake: each file as it is and gzip-compressed, with
// a hash of its content. Nothing is read from disk or fetched from elsewhere
// at run time. The gateway's directory listings use the same theme
// (theme.css).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "http/server.h"

namespace ipfskit::dashboard {

struct EmbeddedFile {
  std::string_view name;  // "app.js"
  std::string_view hash;  // the first 16 hex digits of the content's SHA-256
  std::string_view raw;
  std::string_view gzip;  // gzip -9 of raw
};

// Every embedded file (generated code).
std::span<const EmbeddedFile> embedded_files();

// The file with this name, or nullptr.
const EmbeddedFile* find_asset(std::string_view name);

// The Content-Type for a file name ("application/octet-stream" if unknown).
std::string_view content_type(std::string_view name);

// True when an Accept-Encoding header value admits gzip (a q of 0 refuses it;
// "*" admits it unless gzip is refused by name).
bool accepts_gzip(std::string_view accept_encoding);

// The file as a response to `req`: gzip-encoded when the client accepts it
// (Vary: Accept-Encoding), an ETag from the hash, 304 for a matching
// If-None-Match. A request naming the current version (?v=<hash>) may cache
// it for good; otherwise the client revalidates every time.
http::Response asset_response(const http::Request& req, const EmbeddedFile& file);

}  // namespace ipfskit::dashboard
