// RocksDB adapter: maps the port onto column families and translates
// rocksdb::Status into weft::Status. Tuning per family is explained inline.
#include "storage/rocksdb_kv_store.h"

#include <fcntl.h>
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdarg>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/version.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"
#include "storage/rocksdb_file_system.h"

namespace weft::storage {
namespace {

Status FromRocks(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return Status::OK();
  std::string message = status.ToString();
  if (status.IsNotFound()) return Status::NotFound(context, message);
  if (status.IsCorruption()) return Status::Corruption(context, message);
  if (status.IsInvalidArgument()) {
    return Status::InvalidArgument(context, message);
  }
  if (status.IsNotSupported()) return Status::NotSupported(context, message);
  if (status.IsIOError() && message.find("lock") != std::string::npos) {
    return Status::Busy(
        context, "the database is open in another process (" + message + ")");
  }
  return Status::IOError(context, message);
}

// Storage layout 2 (engine/FORMAT.md): `log`, `index` and `seqs` have a
// RocksDB column family each; the other families share RocksDB's default
// column family, each key behind a one-byte prefix (the family's number).
// Each column family costs every writable open: its options are written to
// and parsed back from the OPTIONS file, and its tables are loaded. With
// four column families instead of nine, opening the editing trace's
// database went from 7.3-7.5 to 6.5-6.8 ms and reading its text from 2.0
// to 1.7 ms (6 tables instead of 8; interleaved runs of a probe).
//
// Layout 1 (a column family per family) is read as it is by a read-only
// open and moved to layout 2 by the first writable one.
bool HasOwnColumnFamily(Family family) {
  return family == Family::kLog || family == Family::kIndex ||
         family == Family::kSeqs;
}

// WriteBatch::Append: a merge operand is appended to the value.
class AppendOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    new_value->clear();
    if (existing != nullptr) {
      new_value->reserve(existing->size() + value.size());
      new_value->assign(existing->data(), existing->size());
    }
    new_value->append(value.data(), value.size());
    return true;
  }
  const char* Name() const override { return "weft.Append"; }
};

rocksdb::ColumnFamilyOptions FamilyOptions(
    Family family, const std::shared_ptr<rocksdb::Cache>& cache,
    size_t write_buffer_size) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Point lookups by key dominate the families kept in the default column
  // family. The log and seqs are scanned in ranges (a filter helps no
  // range scan) or read at keys known to exist (a filter only answers
  // "absent" quickly), and the index has a few thousand buckets, each
  // present. A filter costs every open a read of 10 bits per key.
  if (!HasOwnColumnFamily(family)) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Hashes do not compress; change bodies, documents and views do.
  // Every column family is written by every commit and gets a large
  // memtable: fewer, larger tables, and each table costs every open about
  // 0.25 ms to load.
  options.compression = rocksdb::kZSTD;
  options.bottommost_compression = rocksdb::kZSTD;
  options.write_buffer_size = write_buffer_size;
  options.merge_operator = std::make_shared<AppendOperator>();
  if (family == Family::kIndex) {
    // Packing a run appends a record to up to 256 random buckets of 4096:
    // into a skip list each append searches from the top, a cache miss at
    // every level (a quarter of the time of a one-edit commit, doc_bench).
    // A hash table of the buckets' lists, each newest first, takes it at
    // once. Reads are point lookups; verify's scan sorts the memtable.
    options.prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(2));
    options.memtable_factory.reset(
        rocksdb::NewHashLinkListRepFactory(/*bucket_count=*/1 << 13));
  }
  return options;
}

// Where a family's keys are.
struct Placement {
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  std::string prefix;  // before every key: empty, or the family's byte
};
using Placements = std::array<Placement, kFamilyCount>;

std::string SharedPrefix(Family family) {
  return std::string(1, static_cast<char>(family));
}

rocksdb::Slice ToSlice(std::string_view bytes) {
  return rocksdb::Slice(bytes.data(), bytes.size());
}

class RocksBatch : public WriteBatch {
 public:
  explicit RocksBatch(const Placements* placements) : placements_(placements) {}
  // A WriteBatch only fails on a >4 GiB batch, which limits forbid.
  void Put(Family family, std::string_view key,
           std::string_view value) override {
    const Placement& at = At(family);
    rocksdb::Slice key_parts[2] = {at.prefix, ToSlice(key)};
    rocksdb::Slice value_part = ToSlice(value);
    batch_
        .Put(at.handle, rocksdb::SliceParts(key_parts, 2),
             rocksdb::SliceParts(&value_part, 1))
        .PermitUncheckedError();
  }
  void Delete(Family family, std::string_view key) override {
    const Placement& at = At(family);
    rocksdb::Slice key_parts[2] = {at.prefix, ToSlice(key)};
    batch_.Delete(at.handle, rocksdb::SliceParts(key_parts, 2))
        .PermitUncheckedError();
  }
  void Append(Family family, std::string_view key,
              std::string_view bytes) override {
    const Placement& at = At(family);
    rocksdb::Slice key_parts[2] = {at.prefix, ToSlice(key)};
    rocksdb::Slice value_part = ToSlice(bytes);
    batch_
        .Merge(at.handle, rocksdb::SliceParts(key_parts, 2),
               rocksdb::SliceParts(&value_part, 1))
        .PermitUncheckedError();
  }
  void DeleteRange(Family family, std::string_view begin,
                   std::string_view end) override {
    const Placement& at = At(family);
    rocksdb::Slice begin_parts[2] = {at.prefix, ToSlice(begin)};
    rocksdb::Slice end_parts[2] = {at.prefix, ToSlice(end)};
    batch_
        .DeleteRange(at.handle, rocksdb::SliceParts(begin_parts, 2),
                     rocksdb::SliceParts(end_parts, 2))
        .PermitUncheckedError();
  }
  size_t Count() const override { return batch_.Count(); }
  void Clear() override { batch_.Clear(); }
  rocksdb::WriteBatch* rep() { return &batch_; }

 private:
  const Placement& At(Family family) const {
    return (*placements_)[static_cast<int>(family)];
  }
  const Placements* placements_;
  rocksdb::WriteBatch batch_;
};

// Iterates one family's keys, shown without its prefix.
class RocksIterator : public Iterator {
 public:
  RocksIterator(rocksdb::DB* db, const Placement& at) : prefix_(at.prefix) {
    rocksdb::ReadOptions options;
    // Every scan is in key order, whatever the family's prefix extractor.
    options.total_order_seek = true;
    if (!prefix_.empty()) {
      // Prefixes are small numbers: the next byte value bounds the family.
      upper_ = prefix_;
      upper_.back() = static_cast<char>(upper_.back() + 1);
      lower_bound_ = prefix_;
      upper_bound_ = upper_;
      options.iterate_lower_bound = &lower_bound_;
      options.iterate_upper_bound = &upper_bound_;
    }
    it_.reset(db->NewIterator(options, at.handle));
  }
  bool Valid() const override { return it_->Valid(); }
  // With bounds, RocksDB seeks to the lower one / before the upper one.
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override {
    if (prefix_.empty()) return it_->Seek(ToSlice(target));
    seek_key_.assign(prefix_).append(target);
    it_->Seek(seek_key_);
  }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override {
    return View(it_->key()).substr(prefix_.size());
  }
  std::string_view value() const override { return View(it_->value()); }
  Status status() const override { return FromRocks(it_->status(), "scan"); }

 private:
  static std::string_view View(const rocksdb::Slice& slice) {
    return {slice.data(), slice.size()};
  }
  const std::string prefix_;
  std::string upper_;
  std::string seek_key_;
  rocksdb::Slice lower_bound_, upper_bound_;  // read by it_: declared first
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksDbKvStore : public KvStore {
 public:
  // `columns` are every column family opened, including any of another
  // format version (whose meta entry then refuses the database).
  RocksDbKvStore(std::string path, std::unique_ptr<rocksdb::Env> env,
                 rocksdb::DB* db,
                 std::vector<rocksdb::ColumnFamilyHandle*> columns,
                 const Placements& placements, bool read_only)
      : path_(std::move(path)),
        env_(std::move(env)),
        db_(db),
        columns_(std::move(columns)),
        placements_(placements),
        read_only_(read_only) {}

  ~RocksDbKvStore() override {
    // A clean close leaves no write-ahead log to replay: the next open then
    // costs the same whatever was written before it. (After a crash, the
    // replay is bounded by the memtable sizes.)
    if (!read_only_ && failure_.ok()) {
      rocksdb::FlushOptions flush;
      flush.allow_write_stall = true;
      db_->Flush(flush, columns_).PermitUncheckedError();  // best effort
    }
    for (rocksdb::ColumnFamilyHandle* handle : columns_) {
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();  // Nothing to report it to.
    delete db_;
  }

  Status Get(Family family, std::string_view key, std::string* value) override {
    const Placement& at = At(family);
    rocksdb::Status status;
    if (at.prefix.empty()) {
      status = db_->Get(rocksdb::ReadOptions(), at.handle, ToSlice(key), value);
    } else {
      std::string full_key = at.prefix;
      full_key.append(key);
      status = db_->Get(rocksdb::ReadOptions(), at.handle, full_key, value);
    }
    return FromRocks(status, FamilyName(family));
  }
  std::unique_ptr<WriteBatch> NewBatch() override {
    return std::make_unique<RocksBatch>(&placements_);
  }
  Status Write(WriteBatch* batch, bool sync) override {
    if (read_only_) {
      return Status::NotSupported("the database is open read-only", path_);
    }
    // After a failed write to the disk, every later one fails the same way
    // until the database is opened again: RocksDB 7.8 cannot resume after a
    // failed write-ahead log write, and (as Debian builds it, with its
    // assertions) aborts the process if that log is written again.
    std::lock_guard<std::mutex> lock(failure_mutex_);
    if (!failure_.ok()) return failure_;
    rocksdb::WriteOptions options;
    options.sync = sync;
    rocksdb::Status status =
        db_->Write(options, static_cast<RocksBatch*>(batch)->rep());
    Status result = FromRocks(status, "write");
    if (status.IsIOError() || status.IsCorruption()) {
      failure_ = Status::IOError(
          result.ToString(), "writes fail until the database is opened again");
    }
    return result;
  }
  Status WriteFailure() override {
    std::lock_guard<std::mutex> lock(failure_mutex_);
    return failure_;
  }
  std::unique_ptr<Iterator> NewIterator(Family family) override {
    return std::make_unique<RocksIterator>(db_, At(family));
  }
  Status Checkpoint(const std::string& dir) override {
    rocksdb::Checkpoint* raw = nullptr;
    WEFT_RETURN_IF_ERROR(
        FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    return FromRocks(checkpoint->CreateCheckpoint(dir), "checkpoint " + dir);
  }
  Status VerifyChecksums() override {
    rocksdb::ReadOptions read;
    read.fill_cache = false;  // a whole pass must not evict what is hot
    return FromRocks(db_->VerifyChecksum(read), "checksums");
  }
  uint64_t ApproximateSizeBytes() override {
    uint64_t total = 0;
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator(path_, error)) {
      if (entry.is_regular_file(error)) total += entry.file_size(error);
    }
    return total;
  }

 private:
  const Placement& At(Family family) const {
    return placements_[static_cast<int>(family)];
  }
  std::string path_;
  std::unique_ptr<rocksdb::Env> env_;  // outlives db_
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> columns_;
  const Placements placements_;
  const bool read_only_;
  // The first failed write to the disk. Its lock is taken by every write
  // (the engine serialises commits anyway, so it is not contended).
  std::mutex failure_mutex_;
  Status failure_;
};

// Moves layout 1's column families into the shared one, then drops them.
// Safe to stop anywhere: the copies are flushed to tables before any
// family is dropped, and a later open copies again whatever family is still
// there (the same keys with the same values).
Status MoveToSharedColumnFamily(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* shared,
    const std::vector<std::pair<Family, rocksdb::ColumnFamilyHandle*>>& old) {
  constexpr size_t kBatchBytes = 4u << 20;
  // Without the log: until the flush below, the old families hold the data.
  rocksdb::WriteOptions write_options;
  write_options.disableWAL = true;
  rocksdb::WriteBatch batch;
  auto write = [&] {
    rocksdb::Status status = db->Write(write_options, &batch);
    batch.Clear();
    return FromRocks(status, "moving to storage layout 2");
  };
  for (const auto& [family, handle] : old) {
    std::string prefix = SharedPrefix(family);
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice key_parts[2] = {prefix, it->key()};
      rocksdb::Slice value = it->value();
      batch
          .Put(shared, rocksdb::SliceParts(key_parts, 2),
               rocksdb::SliceParts(&value, 1))
          .PermitUncheckedError();
      if (batch.GetDataSize() >= kBatchBytes) WEFT_RETURN_IF_ERROR(write());
    }
    WEFT_RETURN_IF_ERROR(FromRocks(it->status(), FamilyName(family)));
  }
  WEFT_RETURN_IF_ERROR(write());
  WEFT_RETURN_IF_ERROR(
      FromRocks(db->Flush(rocksdb::FlushOptions(), shared), "flush"));
  for (const auto& [family, handle] : old) {
    WEFT_RETURN_IF_ERROR(FromRocks(db->DropColumnFamily(handle),
                                   std::string("drop ") + FamilyName(family)));
  }
  return Status::OK();
}

// OPTIONS files left by older builds would describe the database to tools
// with options of the past (layout 1's column families, say).
void RemoveOptionsFiles(const std::string& path) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    if (IsOptionsFile(entry.path().string())) {
      std::filesystem::remove(entry.path(), error);
    }
  }
}

// Every open starts a new write-ahead log. RocksDB 7.8 keeps the previous
// one even when it is empty until some memtable is flushed (fixed upstream
// in 8.3), so a run of opens that write nothing (`weft get` from a script)
// piles up empty logs, each read again by the next open. An empty log older
// than the current one holds nothing to recover; with the database locked
// by this process, delete it. Best effort: a log left behind is harmless.
void RemoveEmptyOldLogs(rocksdb::DB* db, const std::string& path) {
  std::unique_ptr<rocksdb::LogFile> current;
  if (!db->GetCurrentWalFile(&current).ok() || current == nullptr) return;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    const std::filesystem::path& file = entry.path();
    std::string stem = file.stem().string();
    if (file.extension() != ".log" || stem.empty() ||
        stem.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(stem) >= current->LogNumber() ||
        entry.file_size(error) != 0 || error) {
      continue;
    }
    std::filesystem::remove(file, error);
  }
}

// A memory budget below this is a small device's (see its use).
constexpr size_t kSmallBudgetBytes = size_t{64} << 20;

// What RocksDB's flush and compaction threads free goes back to the system
// when they finish. glibc keeps the memory a thread freed in that thread's
// own arena; on the editing trace at a 16 MiB budget that kept 2-4 MB of
// the replay's peak RSS (doc_bench, against MALLOC_ARENA_MAX=1).

class TrimAfterBackgroundWork : public rocksdb::EventListener {
 public:
  void OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) override {
    Trim();
  }
  void OnCompactionCompleted(rocksdb::DB*,
                             const rocksdb::CompactionJobInfo&) override {
    Trim();
  }

 private:
  static void Trim() {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
  }
};

// RocksDB's informational log (`LOG` in the database's folder), written so
// that a failed write is not an error: RocksDB's own logger asserts when a
// write to it had failed (a full disk), which aborted every open, readers'
// included. A LOG over 1 MiB at open becomes LOG.old (one is kept).
class TolerantLogger : public rocksdb::Logger {
 public:
  explicit TolerantLogger(const std::string& dir)
      : rocksdb::Logger(rocksdb::WARN_LEVEL) {
    std::string path = dir + "/LOG";
    std::error_code error;
    std::filesystem::create_directories(dir, error);  // a new database
    if (std::filesystem::file_size(path, error) > (1u << 20) && !error) {
      std::filesystem::rename(path, path + ".old", error);
    }
    fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  ~TolerantLogger() override {
    if (fd_ >= 0) close(fd_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list args) override {
    if (fd_ < 0) return;
    char line[2048];
    time_t now = time(nullptr);
    tm parts;
    gmtime_r(&now, &parts);
    size_t size = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &parts);
    int written = vsnprintf(line + size, sizeof(line) - size - 1, format, args);
    if (written < 0) return;
    size = std::min(sizeof(line) - 2, size + static_cast<size_t>(written));
    line[size++] = '\n';
    std::lock_guard<std::mutex> lock(mutex_);
    if (write(fd_, line, size) < 0) {
      // Dropped, like any log line that cannot be written.
    }
  }

 private:
  int fd_ = -1;
  std::mutex mutex_;
};

// What a folder without CURRENT holds: nothing; only what a creation
// that failed leaves (the info log, the lock, the identity, a first
// MANIFEST, a temporary file); or data (write-ahead logs, tables): what is
// left of a database whose CURRENT file was lost.
enum class Remains { kNothing, kFailedCreation, kData, kOther };

Remains WithoutCurrent(const std::string& path) {
  std::error_code error;
  Remains found = Remains::kNothing;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    std::string name = entry.path().filename().string();
    std::string extension = entry.path().extension().string();
    if (extension == ".sst" || extension == ".log") return Remains::kData;
    bool created = name == "LOG" || name.rfind("LOG.old", 0) == 0 ||
                   name == "LOCK" || name == "IDENTITY" ||
                   name.rfind("MANIFEST-", 0) == 0 || extension == ".dbtmp";
    if (!created) found = Remains::kOther;
    if (found == Remains::kNothing) found = Remains::kFailedCreation;
  }
  return found;
}

// True for a RocksDB database whose every column family is one of weft's
// (`weft_families`) and holds no key: what a creation that stopped midway
// leaves.
bool HoldsNothing(
    const rocksdb::DBOptions& options, const std::string& path,
    const std::vector<rocksdb::ColumnFamilyDescriptor>& weft_families) {
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(options, path, &names).ok()) {
    return false;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> present;
  for (const std::string& name : names) {
    auto known = std::find_if(weft_families.begin(), weft_families.end(),
                              [&](const rocksdb::ColumnFamilyDescriptor& weft) {
                                return weft.name == name;
                              });
    if (known == weft_families.end()) return false;
    present.push_back(*known);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(options, path, present, &handles, &raw)
           .ok()) {
    return false;
  }
  bool empty = true;
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    std::unique_ptr<rocksdb::Iterator> it(
        raw->NewIterator(rocksdb::ReadOptions(), handle));
    it->SeekToFirst();
    empty = empty && !it->Valid() && it->status().ok();
    raw->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  delete raw;
  return empty;
}

}  // namespace

Result<std::unique_ptr<KvStore>> OpenRocksDbKvStore(
    const std::string& path, const RocksDbStoreOptions& store_options) {
  std::error_code error;
  bool exists =
      std::filesystem::exists(std::filesystem::path(path) / "CURRENT", error);
  bool is_file = std::filesystem::exists(path, error) &&
                 !std::filesystem::is_directory(path, error);
  Remains remains = exists    ? Remains::kNothing
                    : is_file ? Remains::kOther
                              : WithoutCurrent(path);
  if (remains == Remains::kData) {
    return Status::Corruption(
        "the database's CURRENT file is missing (its logs or tables are "
        "there): the database is damaged; restore a backup",
        path);
  }
  if (!exists &&
      (!store_options.create_if_missing || store_options.read_only)) {
    return Status::NotFound("no database at", path);
  }
  // A new database goes in a new or empty folder only: never among other
  // files, which a user may have named by mistake.
  // (A creation that failed midway is made again.)
  if (remains == Remains::kOther) {
    return Status::InvalidArgument(
        "not a weft database (a folder holding other files)", path);
  }
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(
      NewWeftFileSystem(rocksdb::FileSystem::Default(), store_options.faults));
  rocksdb::DBOptions options;
  options.env = env.get();
  options.create_if_missing = store_options.create_if_missing;
  options.error_if_exists = store_options.error_if_exists;
  // An existing database must already have the families: another program's
  // RocksDB data is refused, never given weft's families.
  options.create_missing_column_families = !exists;
  options.IncreaseParallelism(2);
  // Open cost: the default spawns 16 file-opening threads per column family
  // (~140 threads, most of the time of an open), and reads every table's
  // properties to update statistics nobody uses here.
  options.max_file_opening_threads = 1;
  options.skip_stats_update_on_db_open = true;
  // Open table files when first read, not all at open: open cost then does
  // not grow with the number of files (history).
  options.max_open_files = 512;
  if (!store_options.read_only) {  // read-only opens log nothing
    options.info_log = std::make_shared<TolerantLogger>(path);
  }
  options.fail_if_options_file_error = false;  // see kNoOptionsFile
  // RocksDB's informational log rewrites every family's options on each
  // open (tens of KB, a measurable part of opening); warnings still go in.
  options.info_log_level = rocksdb::WARN_LEVEL;
  options.max_manifest_file_size = 64u << 20;
  // A budget under 64 MiB is a small device's: background threads give
  // back what they freed, and each file being written (the WAL, a flush's
  // table, a compaction's) buffers 256 KiB instead of RocksDB's 1 MiB.
  if (store_options.memory_budget_bytes < kSmallBudgetBytes) {
    options.listeners.push_back(std::make_shared<TrimAfterBackgroundWork>());
    options.writable_file_max_buffer_size = 256u << 10;
  }
  // Required by the index family's hash memtable. Concurrent writers stay
  // safe: the leader of a write group inserts for all of them in turn
  // (the engine serialises its commits anyway).
  options.allow_concurrent_memtable_write = false;

  // The memory budget: memtables and cached blocks in one cache, so that
  // neither passes its share while the other idles. At the default, 32 MiB
  // memtables (each table costs every open about 0.25 ms to load: fewer,
  // larger ones) and 32 MiB of blocks.
  size_t budget = std::max(store_options.memory_budget_bytes, size_t{4} << 20);
  size_t memtables = budget / 4;
  size_t write_buffer_size =
      std::clamp(budget / 8, size_t{256} << 10, size_t{32} << 20);
  auto cache = rocksdb::NewLRUCache(budget / 8 + memtables);
  options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(memtables, cache);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  // The shared column family is tuned as `docs`, its largest.
  families.emplace_back(rocksdb::kDefaultColumnFamilyName,
                        FamilyOptions(Family::kDocs, cache, write_buffer_size));
  for (int family_idx = 0; family_idx < kFamilyCount; ++family_idx) {
    Family family = static_cast<Family>(family_idx);
    if (HasOwnColumnFamily(family)) {
      families.emplace_back(FamilyName(family),
                            FamilyOptions(family, cache, write_buffer_size));
    }
  }
  // Layout 1's column families are named by their family; any other name
  // is of another format version, opened so that its version entry can say
  // why it is refused.
  auto family_named = [](const std::string& name) -> std::optional<Family> {
    for (int family_idx = 0; family_idx < kFamilyCount; ++family_idx) {
      if (name == FamilyName(static_cast<Family>(family_idx))) {
        return static_cast<Family>(family_idx);
      }
    }
    return std::nullopt;
  };

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  // Read-only, RocksDB writes no MANIFEST or log and syncs nothing: the
  // open is faster (the editing trace's database: 1.5-2.0 against 4-6 ms,
  // doc_bench).
  auto open = [&] {
    return store_options.read_only
               ? rocksdb::DB::OpenForReadOnly(options, path, families, &handles,
                                              &db)
               : rocksdb::DB::Open(options, path, families, &handles, &db);
  };
  // RocksDB refuses a writable open unless every column family is named
  // (a read-only one opens those named): name the others too.
  auto name_the_others = [&] {
    std::vector<std::string> existing;
    if (!rocksdb::DB::ListColumnFamilies(options, path, &existing).ok()) return;
    for (const std::string& name : existing) {
      bool known = false;
      for (const auto& family : families) known |= family.name == name;
      if (known) continue;
      std::optional<Family> family = family_named(name);
      families.emplace_back(
          name, family ? FamilyOptions(*family, cache, write_buffer_size)
                       : rocksdb::ColumnFamilyOptions());
    }
  };
  if (store_options.read_only) name_the_others();
  rocksdb::Status status = open();
  if (status.IsInvalidArgument() && !store_options.read_only) {
    name_the_others();
    status = open();
  }
  // A creation that stopped after RocksDB's CURRENT but before weft's
  // families (a full disk, a crash) leaves a database of one empty family:
  // nothing to lose, so the creation goes on.
  if (status.IsInvalidArgument() && !store_options.read_only &&
      status.ToString().find("Column famil") != std::string::npos &&
      HoldsNothing(options, path, families)) {
    options.create_missing_column_families = true;
    status = open();
  }
  if (status.IsInvalidArgument() &&
      status.ToString().find("Column famil") != std::string::npos) {
    return Status::InvalidArgument(
        "not a weft database (RocksDB data without weft's column families)",
        path);
  }
  if (!status.ok()) return FromRocks(status, "open " + path);

  Placements placements;
  std::vector<std::pair<Family, rocksdb::ColumnFamilyHandle*>> layout_one;
  int shared_families = 0;
  for (int family_idx = 0; family_idx < kFamilyCount; ++family_idx) {
    Family family = static_cast<Family>(family_idx);
    if (!HasOwnColumnFamily(family)) {
      placements[family_idx] = {handles[0], SharedPrefix(family)};
      ++shared_families;
    }
  }
  for (size_t i = 1; i < families.size(); ++i) {
    std::optional<Family> family = family_named(families[i].name);
    if (!family) continue;
    if (HasOwnColumnFamily(*family)) {
      placements[static_cast<int>(*family)].handle = handles[i];
    } else {
      layout_one.emplace_back(*family, handles[i]);
    }
  }
  if (!layout_one.empty() && store_options.read_only) {
    // Unless all are there, a writable open was moving them when it
    // stopped, and had copied them all (it drops none before that).
    if (static_cast<int>(layout_one.size()) == shared_families) {
      for (const auto& [family, handle] : layout_one) {
        placements[static_cast<int>(family)] = {handle, ""};
      }
    }
  } else if (!layout_one.empty()) {
    Status moved = MoveToSharedColumnFamily(db, handles[0], layout_one);
    for (const auto& [family, handle] : layout_one) {
      handles.erase(std::find(handles.begin(), handles.end(), handle));
      db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    if (!moved.ok()) {
      for (rocksdb::ColumnFamilyHandle* handle : handles) {
        db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
      }
      delete db;
      return moved;
    }
  }
  if (!store_options.read_only) {
    RemoveEmptyOldLogs(db, path);
    RemoveOptionsFiles(path);
  }
  return std::unique_ptr<KvStore>(
      new RocksDbKvStore(path, std::move(env), db, std::move(handles),
                         placements, store_options.read_only));
}

std::string RocksDbVersion() { return rocksdb::GetRocksVersionAsString(); }

}  // namespace weft::storage
