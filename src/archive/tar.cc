#include "archive/tar.h"

#include <cstdio>
#include <cstring>

namespace ipfskit::archive {

namespace {

constexpr size_t kBlock = 512;

// width-1 octal digits (zero padded) and a NUL; the value must fit.
void octal(char* field, size_t width, uint64_t value) {
  field[width - 1] = '\0';
  for (size_t i = width - 1; i > 0; --i) {
    field[i - 1] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

// One PAX record: "<len> <key>=<value>\n", where <len> counts itself.
std::string pax_record(std::string_view key, std::string_view value) {
  size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  return std::to_string(len) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

}  // namespace

Status TarWriter::pad() {
  if (remaining_ != 0) return internal_error("tar: entry content shorter than its header said");
  static const uint8_t zeros[kBlock] = {};
  size_t rem = written_ % kBlock;
  written_ = 0;
  if (rem == 0) return {};
  return out_(ByteView(zeros, kBlock - rem));
}

Status TarWriter::header(std::string_view path, char type, uint64_t size, uint32_t mode, std::string_view link) {
  TRY_STATUS(pad());
  std::string name(path);
  if (type == '5' && (name.empty() || name.back() != '/')) name += '/';
  const bool long_name = name.size() > 100;
  const bool long_link = link.size() > 100;
  if (long_name || long_link) {
    std::string records;
    if (long_name) records += pax_record("path", name);
    if (long_link) records += pax_record("linkpath", link);
    TRY_STATUS(header("PaxHeaders/entry", 'x', records.size(), 0644, ""));
    TRY_STATUS(content(as_bytes(records)));
    TRY_STATUS(pad());
  }
  uint8_t h[kBlock] = {};
  char* c = reinterpret_cast<char*>(h);
  std::memcpy(c, name.data(), std::min<size_t>(name.size(), 100));
  octal(c + 100, 8, mode);
  octal(c + 108, 8, 0);  // uid
  octal(c + 116, 8, 0);  // gid
  if (size < (1ULL << 33)) {
    octal(c + 124, 12, size);
  } else {
    // GNU base-256 for sizes past 8 GiB.
    h[124] = 0x80;
    for (int i = 0; i < 8; ++i) h[135 - i] = static_cast<uint8_t>(size >> (8 * i));
  }
  octal(c + 136, 12, 0);  // mtime
  c[156] = type;
  std::memcpy(c + 157, link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(c + 257, "ustar", 6);  // magic "ustar\0"
  c[263] = '0';
  c[264] = '0';
  std::memset(c + 148, ' ', 8);
  unsigned sum = 0;
  for (uint8_t b : h) sum += b;
  octal(c + 148, 7, sum);  // six digits, NUL, then the space already there

  TRY_STATUS(out_(ByteView(h, kBlock)));
  remaining_ = (type == '0' || type == 'x') ? size : 0;
  written_ = 0;
  return {};
}

Status TarWriter::directory(std::string_view path, uint32_t mode) { return header(path, '5', 0, mode, ""); }

Status TarWriter::symlink(std::string_view path, std::string_view target) {
  return header(path, '2', 0, 0777, target);
}

Status TarWriter::file(std::string_view path, uint64_t size, uint32_t mode) { return header(path, '0', size, mode, ""); }

Status TarWriter::content(ByteView data) {
  if (data.size() > remaining_) return internal_error("tar: entry content longer than its header said");
  remaining_ -= data.size();
  written_ += data.size();
  return out_(data);
}

Status TarWriter::finish() {
  TRY_STATUS(pad());
  static const uint8_t zeros[2 * kBlock] = {};
  return out_(ByteView(zeros, sizeof zeros));
}

}  // namespace ipfskit::archive
