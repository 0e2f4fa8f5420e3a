#include "http/multipart.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "base/ascii.h"

namespace ipfskit::http {

namespace {

constexpr size_t kBufferSize = 256 * 1024;

}  // namespace

HeaderValue parse_header_value(std::string_view text) {
  HeaderValue out;
  size_t i = 0;
  auto semi = text.find(';');
  out.value = ascii_lower(trim_ows(text.substr(0, semi)));
  if (semi == std::string_view::npos) return out;
  i = semi + 1;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == ';')) ++i;
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key = ascii_lower(trim_ows(text.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value += text[i++];
      }
      ++i;  // the closing quote (or past the end)
      size_t next = text.find(';', i);
      i = next == std::string_view::npos ? text.size() : next;
    } else {
      size_t next = text.find(';', i);
      value = std::string(trim_ows(text.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i)));
      i = next == std::string_view::npos ? text.size() : next;
    }
    if (!key.empty()) out.params[key] = std::move(value);
  }
  return out;
}

Result<std::string> multipart_boundary(std::string_view content_type) {
  HeaderValue v = parse_header_value(content_type);
  if (v.value.rfind("multipart/", 0) != 0)
    return invalid_argument("expected a multipart request body, got Content-Type \"" + std::string(content_type) + "\"");
  auto it = v.params.find("boundary");
  if (it == v.params.end() || it->second.empty()) return invalid_argument("multipart Content-Type without a boundary");
  if (it->second.size() > 200) return invalid_argument("multipart boundary longer than 200 characters");
  return it->second;
}

MultipartReader::MultipartReader(ByteReader& body, std::string boundary, Limits limits)
    : in_(body), delimiter_("\r\n--" + boundary), limits_(limits), buf_(kBufferSize + delimiter_.size()) {
  // The body starts with "--boundary" without a line break before it; a
  // virtual CRLF in front makes the first delimiter look like every other.
  buf_[0] = '\r';
  buf_[1] = '\n';
  end_ = 2;
  in_part_ = true;  // the preamble, skipped like a part's content
}

Status MultipartReader::fill(size_t want) {
  while (end_ - begin_ < want && !eof_) {
    if (begin_ > 0 && (buf_.size() - end_ < 4096 || end_ - begin_ + (buf_.size() - end_) < want)) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buf_.size()) return {};  // full
    size_t n = TRY(in_.read(buf_.data() + end_, buf_.size() - end_));
    if (n == 0) eof_ = true;
    end_ += n;
  }
  return {};
}

Result<size_t> MultipartReader::read(uint8_t* out, size_t n) {
  if (!in_part_ || n == 0) return 0;
  if (known_clear_ > 0) {
    size_t take = std::min(n, known_clear_);
    std::memcpy(out, buf_.data() + begin_, take);
    begin_ += take;
    known_clear_ -= take;
    return take;
  }
  for (;;) {
    const size_t avail = end_ - begin_;
    const uint8_t* start = buf_.data() + begin_;
    if (avail >= delimiter_.size()) {
      const void* hit = ::memmem(start, avail, delimiter_.data(), delimiter_.size());
      size_t clear;
      if (hit != nullptr) {
        clear = static_cast<size_t>(static_cast<const uint8_t*>(hit) - start);
        if (clear == 0) {
          in_part_ = false;  // the delimiter is next: this part is over
          return 0;
        }
      } else {
        // The last delimiter-1 bytes may be the start of a delimiter.
        clear = avail - (delimiter_.size() - 1);
      }
      size_t take = std::min(n, clear);
      std::memcpy(out, start, take);
      begin_ += take;
      known_clear_ = clear - take;
      return take;
    }
    if (eof_) return invalid_argument("multipart body ended before its closing boundary");
    TRY_STATUS(fill(avail + 1));
    // Ask for more than the delimiter when the buffer allows, so that
    // searches cover large spans.
    if (end_ - begin_ >= delimiter_.size() && !eof_ && end_ - begin_ < kBufferSize / 4)
      TRY_STATUS(fill(std::min(kBufferSize / 4, end_ - begin_ + 1)));
  }
}

Result<std::optional<Part>> MultipartReader::next() {
  if (finished_) return std::optional<Part>();
  // Skip what is left of the current part (or the preamble).
  uint8_t sink[16384];
  while (in_part_) {
    size_t skipped = TRY(read(sink, sizeof sink));
    (void)skipped;
  }
  begin_ += delimiter_.size();
  started_ = true;
  if (TRY(read_delimiter_tail())) {
    finished_ = true;
    return std::optional<Part>();
  }
  if (++parts_ > limits_.max_parts) return make_error(Code::kResourceExhausted, "too many parts in a multipart body");
  Part part = TRY(read_headers());
  in_part_ = true;
  return std::optional<Part>(std::move(part));
}

Result<bool> MultipartReader::read_delimiter_tail() {
  TRY_STATUS(fill(2));
  if (end_ - begin_ >= 2 && buf_[begin_] == '-' && buf_[begin_ + 1] == '-') {
    begin_ = end_;  // the epilogue is ignored
    return true;
  }
  // Optional transport padding, then a line break.
  for (size_t i = 0; i < 64; ++i) {
    TRY_STATUS(fill(2));
    if (end_ - begin_ == 0) return invalid_argument("multipart body ended after a boundary");
    uint8_t c = buf_[begin_];
    if (c == ' ' || c == '\t') {
      ++begin_;
      continue;
    }
    if (c == '\n') {
      ++begin_;
      return false;
    }
    if (c == '\r' && end_ - begin_ >= 2 && buf_[begin_ + 1] == '\n') {
      begin_ += 2;
      return false;
    }
    break;
  }
  return invalid_argument("malformed multipart boundary line");
}

Result<Part> MultipartReader::read_headers() {
  Part part;
  size_t total = 0;
  for (;;) {
    // One header line, CRLF or LF terminated.
    const uint8_t* nl = nullptr;
    for (;;) {
      nl = static_cast<const uint8_t*>(std::memchr(buf_.data() + begin_, '\n', end_ - begin_));
      if (nl != nullptr) break;
      if (end_ - begin_ > limits_.max_header_bytes - total)
        return invalid_argument("multipart part headers exceed " + std::to_string(limits_.max_header_bytes) + " bytes");
      if (eof_) return invalid_argument("multipart body ended inside part headers");
      TRY_STATUS(fill(end_ - begin_ + 1));
    }
    size_t len = static_cast<size_t>(nl - (buf_.data() + begin_));
    std::string_view line(reinterpret_cast<const char*>(buf_.data() + begin_), len);
    total += len + 1;
    if (total > limits_.max_header_bytes)
      return invalid_argument("multipart part headers exceed " + std::to_string(limits_.max_header_bytes) + " bytes");
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      begin_ += len + 1;
      break;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return invalid_argument("malformed multipart part header");
    std::string name = ascii_lower(trim_ows(line.substr(0, colon)));
    part.headers[name] = std::string(trim_ows(line.substr(colon + 1)));
    begin_ += len + 1;
  }
  if (auto it = part.headers.find("content-disposition"); it != part.headers.end()) {
    HeaderValue v = parse_header_value(it->second);
    if (auto n = v.params.find("name"); n != v.params.end()) part.name = n->second;
    if (auto f = v.params.find("filename"); f != v.params.end()) part.filename = f->second;
  }
  if (auto it = part.headers.find("content-type"); it != part.headers.end())
    part.content_type = parse_header_value(it->second).value;
  return part;
}

}  // namespace ipfskit::http
