// Faults of the disk on demand, for tests: a plan that the RocksDB
// adapter's file system consults before every write, sync, rename and file
// creation, and that fails the N-th of them with ENOSPC or EIO. Counting
// without failing first tells a test how many such points a workload has;
// failing each in turn walks them all.
//
// It also cuts the power: from the N-th operation on nothing reaches the
// disk for good (writes land in the files, as in a page cache that will be
// lost; syncs, renames and deletions report success and do nothing), and
// once the database is closed DropUnsynced() leaves each file as the disk
// would after the machine stopped: cut back to what was synced, and gone
// if it was made after the cut.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

namespace weft::storage {

class FaultPlan {
 public:
  enum class Error { kNoSpace, kIo };
  enum class Next { kDo, kFail, kDrop };

  // Fails operation number `n` (1-based, counted from now), and every one
  // after it until Lift (a full disk stays full); 0 fails none.
  void FailFrom(uint64_t n, Error error) {
    error_ = error;
    count_ = 0;
    fail_from_ = n;
  }
  // No more failures; the count goes on.
  void Lift() { fail_from_ = 0; }
  // Drops operation number `n` (1-based, counted from now) and every one
  // after it, as if the power went at that point.
  void CutPowerFrom(uint64_t n) {
    count_ = 0;
    cut_from_ = n;
  }
  // Called by the file system before each operation: what to do with it.
  Next Consult() {
    uint64_t n = ++count_;
    uint64_t cut = cut_from_, fail = fail_from_;
    if (cut != 0 && n >= cut) return Next::kDrop;
    return fail != 0 && n >= fail ? Next::kFail : Next::kDo;
  }
  // For operations that are never failed (deletions), only dropped.
  bool PowerIsOff() const { return cut_from_ != 0 && count_ >= cut_from_; }
  Error error() const { return error_; }
  uint64_t count() const { return count_; }

  // What the file system tells the plan, to know what a power loss keeps.
  // `made`: a new file (gone after a power loss if made after the cut).
  void Opened(const std::string& path, uint64_t synced_bytes, bool made) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[path] = File{synced_bytes, made && PowerIsOff()};
  }
  void Synced(const std::string& path, uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[path].synced_bytes = bytes;
  }
  void Renamed(const std::string& from, const std::string& to) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = files_.find(from);
    if (it == files_.end()) return;
    files_[to] = it->second;
    files_.erase(from);
  }
  // After the database is closed: each file written through the plan is
  // cut back to its synced bytes; those made after the cut are removed.
  // Returns how many bytes were dropped.
  uint64_t DropUnsynced() {
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t dropped = 0;
    for (const auto& [path, file] : files_) {
      std::error_code error;
      uint64_t size = std::filesystem::file_size(path, error);
      if (error) continue;  // deleted before the cut
      if (file.made_after_cut) {
        std::filesystem::remove(path, error);
        dropped += size;
      } else if (size > file.synced_bytes) {
        std::filesystem::resize_file(path, file.synced_bytes, error);
        dropped += size - file.synced_bytes;
      }
    }
    files_.clear();
    return dropped;
  }

 private:
  struct File {
    uint64_t synced_bytes = 0;
    bool made_after_cut = false;
  };
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> fail_from_{0};
  std::atomic<uint64_t> cut_from_{0};
  std::atomic<Error> error_{Error::kNoSpace};
  std::mutex mutex_;
  std::map<std::string, File> files_;
};

}  // namespace weft::storage
