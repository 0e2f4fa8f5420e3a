#include "repo/blockstore.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/varint.h"

namespace ipfskit::repo {

namespace {

// Inserts a pack row and returns its id, in a transaction of its own (so
// that it neither joins another thread's transaction on the shared
// connection nor leaves a writing statement open while that one commits).
Result<int64_t> new_pack_row(sql::Database& db) {
  auto tx = TRY(sql::Transaction::begin(db));
  int64_t id = 0;
  {
    auto ins = TRY(db.prepare("INSERT INTO packs (committed) VALUES (0) RETURNING id"));
    if (!TRY(ins.step())) return internal_error("inserting a pack returned no id");
    id = ins.column_int(0);
    ins.reset();
  }
  TRY_STATUS(tx.commit());
  return id;
}

constexpr uint8_t kRecordMagic = 0xB1;
// A writer starts a new pack once its pack has grown past this.
constexpr uint64_t kPackTarget = 4ULL << 30;

// Header of a record: magic, varint(mh length), mh, varint(data length).
Bytes record_header(ByteView mh, uint64_t size) {
  Bytes h;
  h.reserve(1 + 10 + mh.size() + 10);
  h.push_back(kRecordMagic);
  varint::append(h, mh.size());
  append(h, mh);
  varint::append(h, size);
  return h;
}

Status pwrite_all(int fd, const struct iovec* iov, int iovcnt, uint64_t offset, const std::string& name) {
  std::vector<struct iovec> local(iov, iov + iovcnt);
  size_t total = 0;
  for (int i = 0; i < iovcnt; ++i) total += iov[i].iov_len;
  int first = 0;
  while (total > 0) {
    ssize_t n = ::pwritev(fd, local.data() + first, std::min(iovcnt - first, IOV_MAX), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(errno_error("write " + name));
    }
    size_t done = static_cast<size_t>(n);
    total -= done;
    offset += done;
    while (done > 0 && first < iovcnt) {
      if (done >= local[first].iov_len) {
        done -= local[first].iov_len;
        ++first;
      } else {
        local[first].iov_base = static_cast<uint8_t*>(local[first].iov_base) + done;
        local[first].iov_len -= done;
        done = 0;
      }
    }
  }
  return {};
}

Status pread_all(int fd, uint8_t* buf, size_t n, uint64_t offset, const std::string& name) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(errno_error("read " + name));
    }
    if (r == 0) return corruption(name + " is shorter than its index says (offset " + std::to_string(offset) + ")");
    got += static_cast<size_t>(r);
  }
  return {};
}

}  // namespace

Result<UniqueFd> lock_file(const std::string& path, bool exclusive, bool wait) {
  UniqueFd fd = TRY(open_file(path, O_RDWR | O_CREAT, 0644));
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  for (;;) {
    if (::flock(fd.get(), op) == 0) return fd;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return make_error(Code::kUnavailable, path + " is locked by another process");
    return tl::unexpected(errno_error("lock " + path));
  }
}

// ---- WriteBatch ----

WriteBatch::WriteBatch(PackStore& store, int64_t pack, UniqueFd fd, uint64_t start, UniqueFd lock)
    : store_(store), pack_(pack), fd_(std::move(fd)), lock_(std::move(lock)), end_(start), flushed_to_(start) {}

// Large writes would otherwise all reach the disk during commit()'s
// fdatasync, after the hashing is done. Starting writeback every few MiB lets
// the disk work while the CPUs hash, so commit has little left to wait for.
void WriteBatch::start_writeback(uint64_t upto) {
  constexpr uint64_t kStep = 16 << 20;
  uint64_t from = flushed_to_.load();
  if (upto < from + kStep) return;
  if (!flushed_to_.compare_exchange_strong(from, upto)) return;  // another thread took this stretch
  ::sync_file_range(fd_.get(), static_cast<off_t>(from), static_cast<off_t>(upto - from), SYNC_FILE_RANGE_WRITE);
}

WriteBatch::~WriteBatch() = default;

Status WriteBatch::put(const Cid& cid, ByteView data) {
  if (cid.is_identity()) return {};
  const ByteView mh = cid.multihash().bytes();
  {
    std::lock_guard lock(mu_);
    if (committed_) return internal_error("put after commit");
    if (!seen_.insert(std::string(as_chars(mh))).second) return {};
  }
  // Large blocks: check the index first, a lookup is far cheaper than the
  // write. Small ones are written anyway; commit's INSERT OR IGNORE keeps
  // the first copy, and the few wasted bytes go at the next compaction.
  constexpr size_t kLookupAbove = 64 * 1024;
  if (data.size() > kLookupAbove && TRY(store_.has(cid))) return {};
  Bytes header = record_header(mh, data.size());
  const uint64_t offset = end_.fetch_add(header.size() + data.size());
  struct iovec iov[2] = {{header.data(), header.size()}, {const_cast<uint8_t*>(data.data()), data.size()}};
  Status st = pwrite_all(fd_.get(), iov, 2, offset, store_.pack_path(pack_));
  std::lock_guard lock(mu_);
  if (!st) {
    if (write_error_++ == 0) first_error_ = st.error();
    return st;
  }
  pending_.push_back(Pending{SmallBytes<72>(mh), cid.codec(), offset + header.size(), data.size()});
  start_writeback(offset);
  return {};
}

Status WriteBatch::put_many(const std::vector<std::pair<Cid, ByteView>>& blocks) {
  // Large blocks go one by one (with their index lookup); the rest are
  // written together: one reserved range, one pwritev per IOV_MAX/2 blocks.
  struct Item {
    const Cid* cid;
    ByteView data;
    Bytes header;
  };
  std::vector<Item> items;
  items.reserve(blocks.size());
  {
    std::lock_guard lock(mu_);
    if (committed_) return internal_error("put after commit");
    for (const auto& [cid, data] : blocks) {
      if (cid.is_identity() || data.size() > 64 * 1024) continue;
      if (!seen_.insert(std::string(as_chars(cid.multihash().bytes()))).second) continue;
      items.push_back(Item{&cid, data, record_header(cid.multihash().bytes(), data.size())});
    }
  }
  for (const auto& [cid, data] : blocks)
    if (!cid.is_identity() && data.size() > 64 * 1024) TRY_STATUS(put(cid, data));
  if (items.empty()) return {};
  uint64_t total = 0;
  for (const Item& it : items) total += it.header.size() + it.data.size();
  const uint64_t base = end_.fetch_add(total);
  std::vector<Pending> done;
  done.reserve(items.size());
  uint64_t offset = base;
  constexpr size_t kPerCall = 512;  // blocks per pwritev (two iovecs each)
  for (size_t i = 0; i < items.size(); i += kPerCall) {
    std::vector<struct iovec> iov;
    uint64_t start = offset;
    for (size_t j = i; j < std::min(items.size(), i + kPerCall); ++j) {
      Item& it = items[j];
      iov.push_back({it.header.data(), it.header.size()});
      iov.push_back({const_cast<uint8_t*>(it.data.data()), it.data.size()});
      done.push_back(
          Pending{SmallBytes<72>(it.cid->multihash().bytes()), it.cid->codec(), offset + it.header.size(), it.data.size()});
      offset += it.header.size() + it.data.size();
    }
    Status st = pwrite_all(fd_.get(), iov.data(), static_cast<int>(iov.size()), start, store_.pack_path(pack_));
    if (!st) {
      std::lock_guard lock(mu_);
      if (write_error_++ == 0) first_error_ = st.error();
      return st;
    }
  }
  std::lock_guard lock(mu_);
  pending_.insert(pending_.end(), std::make_move_iterator(done.begin()), std::make_move_iterator(done.end()));
  start_writeback(offset);
  return {};
}

size_t WriteBatch::new_blocks() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

uint64_t WriteBatch::new_bytes() const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const auto& p : pending_) n += p.size;
  return n;
}

Status WriteBatch::commit(const std::function<Status(sql::Database&)>& in_transaction) {
  std::lock_guard lock(mu_);
  if (committed_) return internal_error("batch committed twice");
  if (write_error_ > 0) return tl::unexpected(first_error_);
  committed_ = true;
  if (!pending_.empty() && ::fdatasync(fd_.get()) != 0)
    return tl::unexpected(errno_error("sync " + store_.pack_path(pack_)));
  sql::Database& db = store_.db_;
  auto tx = TRY(sql::Transaction::begin(db));
  if (!pending_.empty()) {
    // In key order, SQLite appends to its B-tree instead of splitting pages
    // all over it: several times faster for large batches.
    std::sort(pending_.begin(), pending_.end(),
              [](const Pending& a, const Pending& b) { return a.multihash < b.multihash; });
    auto ins = TRY(db.prepare("INSERT OR IGNORE INTO blocks (mh, codec, pack, offset, size) VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (const Pending& p : pending_) {
      ins.bind(1, p.multihash.view())
          .bind(2, static_cast<int64_t>(p.codec))
          .bind(3, pack_)
          .bind(4, static_cast<int64_t>(p.offset))
          .bind(5, static_cast<int64_t>(p.size));
      TRY_STATUS(ins.run());
    }
    auto upd = TRY(db.prepare("UPDATE packs SET committed = ?1 WHERE id = ?2"));
    TRY_STATUS(upd.bind(1, static_cast<int64_t>(end_.load())).bind(2, pack_).run());
  }
  if (in_transaction) TRY_STATUS(in_transaction(db));
  return tx.commit();
}

// ---- PackStore ----

PackStore::PackStore(std::string dir, sql::Database& db, std::string gc_lock_path)
    : dir_(std::move(dir)), db_(db), gc_lock_path_(std::move(gc_lock_path)) {}

PackStore::~PackStore() = default;

std::string PackStore::pack_path(int64_t pack) const { return dir_ + "/pack-" + std::to_string(pack) + ".dat"; }

Result<std::unique_ptr<WriteBatch>> PackStore::begin() {
  UniqueFd gc_lock = TRY(lock_file(gc_lock_path_, /*exclusive=*/false));
  // Reuse a pack no other writer holds, or start a new one.
  std::vector<std::pair<int64_t, uint64_t>> packs;
  {
    auto q = TRY(db_.prepare("SELECT id, committed FROM packs ORDER BY id DESC"));
    while (TRY(q.step())) packs.emplace_back(q.column_int(0), static_cast<uint64_t>(q.column_int(1)));
  }
  for (auto [id, listed] : packs) {
    if (listed >= kPackTarget) continue;
    auto fd = open_file(pack_path(id), O_RDWR | O_CREAT, 0644);
    if (!fd) continue;
    if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) continue;  // another writer's
    // Re-read the committed length now that we hold the lock: the value
    // listed above may predate a commit by the writer that just let go, and
    // truncating to it would destroy that writer's blocks.
    auto q = TRY(db_.prepare("SELECT committed FROM packs WHERE id = ?1"));
    q.bind(1, id);
    if (!TRY(q.step())) continue;  // compacted away meanwhile
    const uint64_t committed = static_cast<uint64_t>(q.column_int(0));
    // Anything past the committed length is from a writer that crashed.
    if (::ftruncate(fd->get(), static_cast<off_t>(committed)) != 0)
      return tl::unexpected(errno_error("truncate " + pack_path(id)));
    return std::unique_ptr<WriteBatch>(new WriteBatch(*this, id, std::move(*fd), committed, std::move(gc_lock)));
  }
  // A new pack row. In its own transaction: the connection is shared by this
  // process's threads, and a write outside one would join (and be committed
  // or rolled back with) whatever transaction another thread has open.
  const int64_t id = TRY(new_pack_row(db_));
  UniqueFd fd = TRY(open_file(pack_path(id), O_RDWR | O_CREAT, 0644));
  if (::flock(fd.get(), LOCK_EX) != 0) return tl::unexpected(errno_error("lock " + pack_path(id)));
  // The pack was visible before we held its lock: another writer may have
  // used it meanwhile. Continue from what is committed, never from zero.
  auto q = TRY(db_.prepare("SELECT committed FROM packs WHERE id = ?1"));
  q.bind(1, id);
  if (!TRY(q.step())) return internal_error("new pack " + std::to_string(id) + " vanished");
  const uint64_t committed = static_cast<uint64_t>(q.column_int(0));
  if (::ftruncate(fd.get(), static_cast<off_t>(committed)) != 0)
    return tl::unexpected(errno_error("truncate " + pack_path(id)));
  // Make the new file's directory entry durable before anything refers to it.
  UniqueFd dfd = TRY(open_file(dir_, O_RDONLY | O_DIRECTORY));
  ::fsync(dfd.get());
  return std::unique_ptr<WriteBatch>(new WriteBatch(*this, id, std::move(fd), committed, std::move(gc_lock)));
}

Result<std::optional<BlockLocation>> PackStore::locate(const Multihash& mh) {
  auto q = TRY(db_.prepare_cached("SELECT pack, offset, size FROM blocks WHERE mh = ?1"));
  q.bind(1, ByteView(mh.bytes()));
  if (!TRY(q.step())) return std::optional<BlockLocation>();
  return std::optional<BlockLocation>(BlockLocation{q.column_int(0), static_cast<uint64_t>(q.column_int(1)),
                                                    static_cast<uint64_t>(q.column_int(2))});
}

Result<PackStore::PackFile> PackStore::pack_file(int64_t pack) {
  std::lock_guard lock(fds_mu_);
  auto it = fds_.find(pack);
  if (it != fds_.end()) return it->second;
  UniqueFd fd = TRY(open_file(pack_path(pack), O_RDONLY));
  auto file = std::make_shared<const UniqueFd>(std::move(fd));
  fds_.emplace(pack, file);
  return file;
}

void PackStore::drop_fd(int64_t pack) {
  std::lock_guard lock(fds_mu_);
  fds_.erase(pack);
}

bool PackStore::is_stale(int64_t pack, const UniqueFd& file) const {
  struct stat open_st {}, path_st {};
  if (::fstat(file.get(), &open_st) != 0) return true;
  if (::stat(pack_path(pack).c_str(), &path_st) != 0) return true;
  return open_st.st_ino != path_st.st_ino || open_st.st_dev != path_st.st_dev;
}

Result<PackStore::ReadPlace> PackStore::read_block(const Cid& cid,
                                                   const std::function<uint8_t*(uint64_t)>& buffer_for) {
  // Two attempts: a compaction may move a block between our lookup and our
  // read (the old pack is then gone: NotFound), and a descriptor cached
  // before another process reused a pack id reads the wrong file (a short
  // read or a hash mismatch). Either way a second lookup finds the block.
  for (int attempt = 0;; ++attempt) {
    const bool last = attempt == 1;
    auto loc = TRY(locate(cid.multihash()));
    if (!loc) return not_found("block not found: " + cid.to_string());
    auto file = pack_file(loc->pack);
    if (!file) {
      if (last || file.error().code() != Code::kNotFound) return tl::unexpected(file.error());
      continue;
    }
    uint8_t* into = buffer_for(loc->size);
    Status st = pread_all((*file)->get(), into, loc->size, loc->offset, pack_path(loc->pack));
    if (st) {
      st = verify_block(cid, ByteView(into, loc->size));
      if (!st && st.error().code() == Code::kCorruption)
        st = corruption("block " + cid.to_string() + " is corrupt in " + pack_path(loc->pack) +
                        ": its data does not match its hash");
    }
    if (st) return ReadPlace{std::move(*file), *loc};
    if (last || st.error().code() != Code::kCorruption || !is_stale(loc->pack, **file)) return tl::unexpected(st.error());
    drop_fd(loc->pack);
  }
}

Result<Bytes> PackStore::get(const Cid& cid) {
  if (cid.is_identity()) return to_bytes(cid.multihash().digest());
  Bytes data;
  TRY(read_block(cid, [&](uint64_t size) {
    data.resize(size);
    return data.data();
  }));
  return data;
}

Result<VerifiedRead> PackStore::read_verified(const Cid& cid, ScratchBuffer& buffer) {
  if (cid.is_identity()) return VerifiedRead{cid.multihash().digest(), std::nullopt};
  uint8_t* data = nullptr;
  ReadPlace place = TRY(read_block(cid, [&](uint64_t size) { return data = buffer.reserve(size); }));
  return VerifiedRead{ByteView(data, place.location.size), FileExtent{std::move(place.file), place.location.offset}};
}

Result<bool> PackStore::has(const Cid& cid) {
  if (cid.is_identity()) return true;
  auto loc = TRY(locate(cid.multihash()));
  return loc.has_value();
}

Status PackStore::put(const Cid& cid, ByteView data) {
  auto batch = TRY(begin());
  TRY_STATUS(batch->put(cid, data));
  return batch->commit();
}

Status PackStore::remove(const Cid& cid) {
  auto tx = TRY(sql::Transaction::begin(db_));  // (a shared connection: see new_pack_row)
  auto del = TRY(db_.prepare("DELETE FROM blocks WHERE mh = ?1"));
  TRY_STATUS(del.bind(1, ByteView(cid.multihash().bytes())).run());
  if (db_.changes() == 0) return not_found("block not found: " + cid.to_string());
  return tx.commit();
}

Status PackStore::for_each(const std::function<Status(const Multihash&, uint64_t, uint64_t)>& fn) {
  auto q = TRY(db_.prepare("SELECT mh, codec, size FROM blocks"));
  while (TRY(q.step())) {
    auto mh = Multihash::from_bytes(q.column_blob(0));
    if (!mh) return corruption("index holds an invalid multihash: " + mh.error().message());
    TRY_STATUS(fn(*mh, static_cast<uint64_t>(q.column_int(1)), static_cast<uint64_t>(q.column_int(2))));
  }
  return {};
}

Result<std::pair<uint64_t, uint64_t>> PackStore::count_and_size() {
  auto q = TRY(db_.prepare("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blocks"));
  TRY_STATUS(q.step());
  return std::make_pair(static_cast<uint64_t>(q.column_int(0)), static_cast<uint64_t>(q.column_int(1)));
}

Result<uint64_t> PackStore::compact() {
  struct Pack {
    int64_t id;
    uint64_t committed;
    uint64_t live = 0;
  };
  std::vector<Pack> packs;
  {
    auto q = TRY(db_.prepare(
        "SELECT p.id, p.committed, COALESCE((SELECT SUM(size) FROM blocks b WHERE b.pack = p.id), 0) FROM packs p"));
    while (TRY(q.step()))
      packs.push_back({q.column_int(0), static_cast<uint64_t>(q.column_int(1)), static_cast<uint64_t>(q.column_int(2))});
  }
  uint64_t reclaimed = 0;
  for (const Pack& p : packs) {
    if (p.live * 2 >= p.committed && p.committed > 0) continue;  // mostly live: keep
    // Move the live blocks into a fresh pack, then drop the old one.
    std::vector<std::tuple<Bytes, uint64_t, uint64_t, uint64_t>> live;  // mh, codec, offset, size
    {
      auto q = TRY(db_.prepare("SELECT mh, codec, offset, size FROM blocks WHERE pack = ?1"));
      q.bind(1, p.id);
      while (TRY(q.step()))
        live.emplace_back(to_bytes(q.column_blob(0)), q.column_int(1), q.column_int(2), q.column_int(3));
    }
    int64_t target = 0;
    uint64_t end = 0;
    UniqueFd out;
    if (!live.empty()) {
      target = TRY(new_pack_row(db_));
      // No writer can take it: compaction runs under the exclusive GC lock.
      out = TRY(open_file(pack_path(target), O_RDWR | O_CREAT | O_TRUNC, 0644));
    }
    UniqueFd in = TRY(open_file(pack_path(p.id), O_RDONLY));
    std::vector<std::pair<Bytes, uint64_t>> moved;  // mh, new data offset
    for (auto& [mh, codec, offset, size] : live) {
      Bytes data(size);
      TRY_STATUS(pread_all(in.get(), data.data(), size, offset, pack_path(p.id)));
      auto parsed = Multihash::from_bytes(mh);
      if (!parsed) return corruption("index holds an invalid multihash");
      // Re-verify while copying: compaction must not launder a damaged block.
      if (!verify_block(Cid::v1(codec, *parsed), data))
        return corruption("block " + Cid::v1(codec, *parsed).to_string() + " is corrupt; run `repo verify`");
      Bytes header = record_header(mh, size);
      struct iovec iov[2] = {{header.data(), header.size()}, {data.data(), data.size()}};
      TRY_STATUS(pwrite_all(out.get(), iov, 2, end, pack_path(target)));
      moved.emplace_back(mh, end + header.size());
      end += header.size() + size;
    }
    if (out && ::fdatasync(out.get()) != 0) return tl::unexpected(errno_error("sync " + pack_path(target)));
    {
      auto tx = TRY(sql::Transaction::begin(db_));
      if (!moved.empty()) {
        auto upd = TRY(db_.prepare("UPDATE blocks SET pack = ?1, offset = ?2 WHERE mh = ?3"));
        for (auto& [mh, off] : moved) TRY_STATUS(upd.bind(1, target).bind(2, static_cast<int64_t>(off)).bind(3, ByteView(mh)).run());
        auto c = TRY(db_.prepare("UPDATE packs SET committed = ?1 WHERE id = ?2"));
        TRY_STATUS(c.bind(1, static_cast<int64_t>(end)).bind(2, target).run());
      }
      auto del = TRY(db_.prepare("DELETE FROM packs WHERE id = ?1"));
      TRY_STATUS(del.bind(1, p.id).run());
      TRY_STATUS(tx.commit());
    }
    drop_fd(p.id);
    ::unlink(pack_path(p.id).c_str());
    reclaimed += p.committed - p.live;
  }
  return reclaimed;
}

}  // namespace ipfskit::repo
