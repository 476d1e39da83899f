// The file system weft gives RocksDB (rocksdb_file_system.h).
#include "storage/rocksdb_file_system.h"

#include <string>
#include <utility>

namespace weft::storage {
namespace {

bool EndsWith(std::string_view name, std::string_view suffix) {
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// RocksDB writes an OPTIONS file on every writable open (and column family
// change): a record of the options for tools such as `ldb`, which it then
// parses back to check, and syncs twice. weft sets every option at each
// open and never reads the file, and RocksDB carries on without it
// (fail_if_options_file_error; it logs one warning). Refusing to create it
// took opening the editing trace's database from 5.0-5.8 to 3.8-4.2 ms
// (interleaved pairs, against a file already written without its syncs,
// which had saved ~2 ms: each fsync costs 0.4-1.2 ms on the build VM).
constexpr char kNoOptionsFile[] =
    "weft keeps no RocksDB OPTIONS file: it sets every option at open";

// The error a FaultPlan injects.
rocksdb::IOStatus Injected(const FaultPlan& plan) {
  return plan.error() == FaultPlan::Error::kNoSpace
             ? rocksdb::IOStatus::NoSpace("injected: No space left on device")
             : rocksdb::IOStatus::IOError("injected: Input/output error");
}

// A writable file whose writes and syncs consult a FaultPlan (and tell it
// what was synced, for a power loss).
class FaultyWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file,
                     std::shared_ptr<FaultPlan> plan, std::string name)
      : FSWritableFileOwnerWrapper(std::move(file)),
        plan_(std::move(plan)),
        name_(std::move(name)) {}
  // With the power off a write still reaches the file (the page cache:
  // RocksDB may read it back) and DropUnsynced cuts it away; a sync does
  // nothing.
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* debug) override {
    return Consulted(kWrite,
                     [&] { return target()->Append(data, options, debug); });
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* debug) override {
    return Consulted(
        kWrite, [&] { return target()->Append(data, options, info, debug); });
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* debug) override {
    return Consulted(kSync,
                     [&] { return Synced(target()->Sync(options, debug)); });
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* debug) override {
    return Consulted(kSync,
                     [&] { return Synced(target()->Fsync(options, debug)); });
  }

 private:
  enum Kind { kWrite, kSync };
  template <typename Operation>
  rocksdb::IOStatus Consulted(Kind kind, const Operation& operation) {
    switch (plan_->Consult()) {
      case FaultPlan::Next::kFail:
        return Injected(*plan_);
      case FaultPlan::Next::kDrop:  // the power is off
        return kind == kWrite ? operation() : rocksdb::IOStatus::OK();
      case FaultPlan::Next::kDo:
        break;
    }
    return operation();
  }
  rocksdb::IOStatus Synced(rocksdb::IOStatus status) {
    if (status.ok()) {
      plan_->Synced(name_,
                    target()->GetFileSize(rocksdb::IOOptions(), nullptr));
    }
    return status;
  }

  std::shared_ptr<FaultPlan> plan_;
  const std::string name_;
};

// The file system weft gives RocksDB: the default one, without the OPTIONS
// file (above), and with the write-ahead log written through a shared
// memory map instead of one write() per commit.
//
// A store into a MAP_SHARED page is in the page cache at once, exactly as a
// write() is: a commit that returned survives the process being killed, and
// only an fsync (`sync=true`, msync here) makes it survive the machine
// stopping. Same guarantee, no system call per commit (about 1 us each on
// the 2-core build machine): the editing trace with one commit per edit
// went from 17.6-18.3 to 15.6-16.4 us per edit (doc_bench). RocksDB keeps
// its mmap writer for other files and turns it off for logs; its log reader
// still skips the zeros that a killed writer leaves after the last record
// (the mapped but unwritten end of the file).
// With a FaultPlan (tests only), every write, sync, rename and file
// creation consults it first.
class WeftFileSystem : public rocksdb::FileSystemWrapper {
 public:
  WeftFileSystem(std::shared_ptr<rocksdb::FileSystem> target,
                 std::shared_ptr<FaultPlan> faults)
      : FileSystemWrapper(std::move(target)), faults_(std::move(faults)) {}
  const char* Name() const override { return "WeftFileSystem"; }

  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* debug) override {
    if (IsOptionsFile(name)) {
      return rocksdb::IOStatus::NotSupported(kNoOptionsFile);
    }
    if (faults_ && faults_->Consult() == FaultPlan::Next::kFail) {
      return Injected(*faults_);
    }
    // Made even with the power off (RocksDB goes on until it is closed);
    // DropUnsynced removes it then.
    rocksdb::IOStatus made =
        target()->NewWritableFile(name, ForLogs(name, options), file, debug);
    if (made.ok() && faults_) faults_->Opened(name, 0, true);
    return Faulty(made, name, file);
  }
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* debug) override {
    if (faults_ && faults_->Consult() == FaultPlan::Next::kFail) {
      return Injected(*faults_);
    }
    rocksdb::IOStatus opened =
        target()->ReopenWritableFile(name, ForLogs(name, options), file, debug);
    if (opened.ok() && faults_) {
      faults_->Opened(name, (*file)->GetFileSize(rocksdb::IOOptions(), nullptr),
                      false);
    }
    return Faulty(opened, name, file);
  }
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* debug) override {
    if (!faults_) return target()->RenameFile(from, to, options, debug);
    switch (faults_->Consult()) {
      case FaultPlan::Next::kFail:
        return Injected(*faults_);
      case FaultPlan::Next::kDrop:
        return rocksdb::IOStatus::OK();
      case FaultPlan::Next::kDo:
        break;
    }
    rocksdb::IOStatus renamed = target()->RenameFile(from, to, options, debug);
    if (renamed.ok()) faults_->Renamed(from, to);
    return renamed;
  }
  rocksdb::IOStatus DeleteFile(const std::string& name,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* debug) override {
    if (faults_ && faults_->PowerIsOff()) return rocksdb::IOStatus::OK();
    return target()->DeleteFile(name, options, debug);
  }

 private:
  // Wraps a file just made, when faults are planned.
  rocksdb::IOStatus Faulty(rocksdb::IOStatus status, const std::string& name,
                           std::unique_ptr<rocksdb::FSWritableFile>* file) {
    if (status.ok() && faults_) {
      *file =
          std::make_unique<FaultyWritableFile>(std::move(*file), faults_, name);
    }
    return status;
  }
  static rocksdb::FileOptions ForLogs(const std::string& name,
                                      rocksdb::FileOptions options) {
    if (EndsWith(name, ".log")) options.use_mmap_writes = true;
    return options;
  }

  std::shared_ptr<FaultPlan> faults_;
};

}  // namespace

bool IsOptionsFile(std::string_view name) {
  size_t slash = name.rfind('/');
  std::string_view base =
      slash == std::string_view::npos ? name : name.substr(slash + 1);
  return base.rfind("OPTIONS-", 0) == 0;
}

std::shared_ptr<rocksdb::FileSystem> NewWeftFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base,
    std::shared_ptr<FaultPlan> faults) {
  return std::make_shared<WeftFileSystem>(std::move(base), std::move(faults));
}

}  // namespace weft::storage
