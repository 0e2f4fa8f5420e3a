#include "codec/unixfs_pb.h"

#include <string>

#include "codec/protobuf.h"

namespace ipfskit::unixfs {

const char* type_name(DataType t) {
  switch (t) {
    case DataType::kRaw: return "raw";
    case DataType::kDirectory: return "directory";
    case DataType::kFile: return "file";
    case DataType::kMetadata: return "metadata";
    case DataType::kSymlink: return "symlink";
    case DataType::kHAMTShard: return "hamt-sharded-directory";
  }
  return "unknown";
}

Bytes encode(const Data& d) {
  Bytes out;
  pb::put_varint_field(out, 1, static_cast<uint64_t>(d.type));
  if (d.data) pb::put_bytes_field(out, 2, *d.data);
  if (d.filesize) pb::put_varint_field(out, 3, *d.filesize);
  for (uint64_t b : d.blocksizes) pb::put_varint_field(out, 4, b);
  if (d.hash_type) pb::put_varint_field(out, 5, *d.hash_type);
  if (d.fanout) pb::put_varint_field(out, 6, *d.fanout);
  if (d.mode) pb::put_varint_field(out, 7, *d.mode);
  if (d.mtime) {
    Bytes t;
    // int64 is encoded as its two's complement 64-bit value.
    pb::put_varint_field(t, 1, static_cast<uint64_t>(d.mtime->seconds));
    if (d.mtime->nanos) {
      pb::put_tag(t, 2, pb::kFixed32);
      uint32_t n = *d.mtime->nanos;
      for (int i = 0; i < 4; ++i) t.push_back(static_cast<uint8_t>(n >> (8 * i)));
    }
    pb::put_bytes_field(out, 8, t);
  }
  return out;
}

namespace {

Result<UnixTime> decode_time(ByteView bytes) {
  UnixTime t;
  bool have_seconds = false;
  pb::Reader r(bytes);
  while (!r.done()) {
    pb::Field f = TRY(r.next());
    if (f.number == 1 && f.wire_type == pb::kVarint && !have_seconds) {
      t.seconds = static_cast<int64_t>(f.varint);
      have_seconds = true;
    } else if (f.number == 2 && f.wire_type == pb::kFixed32 && !t.nanos) {
      if (f.varint == 0 || f.varint > 999999999)
        return invalid_argument("unixfs: mtime nanoseconds out of range");
      t.nanos = static_cast<uint32_t>(f.varint);
    } else {
      return invalid_argument("unixfs: invalid mtime field " + std::to_string(f.number));
    }
  }
  if (!have_seconds) return invalid_argument("unixfs: mtime without seconds");
  return t;
}

}  // namespace

Result<Data> decode(ByteView bytes) {
  Data d;
  bool have_type = false;
  pb::Reader r(bytes);
  auto dup = [](const char* name) { return invalid_argument(std::string("unixfs: duplicate ") + name); };
  auto wrong = [](const char* name) { return invalid_argument(std::string("unixfs: wrong wire type for ") + name); };
  while (!r.done()) {
    pb::Field f = TRY(r.next());
    switch (f.number) {
      case 1:
        if (f.wire_type != pb::kVarint) return wrong("Type");
        if (have_type) return dup("Type");
        if (f.varint > static_cast<uint64_t>(DataType::kHAMTShard))
          return invalid_argument("unixfs: unknown data type " + std::to_string(f.varint));
        d.type = static_cast<DataType>(f.varint);
        have_type = true;
        break;
      case 2:
        if (f.wire_type != pb::kLengthDelimited) return wrong("Data");
        if (d.data) return dup("Data");
        d.data = f.bytes;
        break;
      case 3:
        if (f.wire_type != pb::kVarint) return wrong("filesize");
        if (d.filesize) return dup("filesize");
        d.filesize = f.varint;
        break;
      case 4:
        if (f.wire_type == pb::kVarint) {
          d.blocksizes.push_back(f.varint);
        } else if (f.wire_type == pb::kLengthDelimited) {
          // Packed encoding: protobuf parsers must accept it for repeated scalars.
          ByteView rest = f.bytes;
          while (!rest.empty()) {
            auto v = varint::decode_protobuf(rest, true);
            if (!v) return invalid_argument("unixfs: bad packed blocksizes");
            d.blocksizes.push_back(v->value);
            rest = rest.subspan(v->length);
          }
        } else {
          return wrong("blocksizes");
        }
        break;
      case 5:
        if (f.wire_type != pb::kVarint) return wrong("hashType");
        if (d.hash_type) return dup("hashType");
        d.hash_type = f.varint;
        break;
      case 6:
        if (f.wire_type != pb::kVarint) return wrong("fanout");
        if (d.fanout) return dup("fanout");
        d.fanout = f.varint;
        break;
      case 7:
        if (f.wire_type != pb::kVarint) return wrong("mode");
        if (d.mode) return dup("mode");
        if (f.varint > 0xffffffffULL) return invalid_argument("unixfs: mode out of range");
        d.mode = static_cast<uint32_t>(f.varint);
        break;
      case 8: {
        if (f.wire_type != pb::kLengthDelimited) return wrong("mtime");
        if (d.mtime) return dup("mtime");
        d.mtime = TRY(decode_time(f.bytes));
        break;
      }
      default:
        return invalid_argument("unixfs: unknown field " + std::to_string(f.number));
    }
  }
  if (!have_type) return invalid_argument("unixfs: missing Type");
  return d;
}

}  // namespace ipfskit::unixfs
