// Faults of the disk on demand, for tests: a plan that the RocksDB
// adapter's file system consults before every write, sync, rename and file
// creation, and that fails the N-th of them with ENOSPC or EIO. Counting
// without failing first tells a test how many such points a workload has;
// failing each in turn walks them all.
#pragma once

#include <atomic>
#include <cstdint>

namespace weft::storage {

class FaultPlan {
 public:
  enum class Error { kNoSpace, kIo };

  // Fails operation number `n` (1-based, counted from now), and every one
  // after it until Lift (a full disk stays full); 0 fails none.
  void FailFrom(uint64_t n, Error error) {
    error_ = error;
    count_ = 0;
    fail_from_ = n;
  }
  // No more failures; the count goes on.
  void Lift() { fail_from_ = 0; }
  // Called by the file system before each operation: true if it must fail.
  bool Fails() {
    uint64_t n = ++count_;
    uint64_t from = fail_from_;
    return from != 0 && n >= from;
  }
  Error error() const { return error_; }
  uint64_t count() const { return count_; }

 private:
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> fail_from_{0};
  std::atomic<Error> error_{Error::kNoSpace};
};

}  // namespace weft::storage
