// A KvStore that counts the reads made through it, family by family, and
// forwards everything to another store: tests that an operation reads what
// it claims (and only that) observe it here. A read is a Get or one step of
// an iterator (a seek, Next or Prev), so a walk over N entries counts N.
#pragma once

#include <array>
#include <memory>

#include "storage/kv_store.h"

namespace weft::testing {

class CountingKvStore : public storage::KvStore {
 public:
  explicit CountingKvStore(storage::KvStore* base) : base_(base) {}

  // Gets plus iterator steps on `family`, since construction or Reset.
  uint64_t reads(storage::Family family) const {
    return reads_[static_cast<size_t>(family)];
  }
  void Reset() { reads_.fill(0); }

  Status Get(storage::Family family, std::string_view key,
             std::string* value) override {
    ++reads_[static_cast<size_t>(family)];
    return base_->Get(family, key, value);
  }
  std::unique_ptr<storage::Iterator> NewIterator(
      storage::Family family) override {
    return std::make_unique<CountingIterator>(
        base_->NewIterator(family), &reads_[static_cast<size_t>(family)]);
  }
  std::unique_ptr<storage::WriteBatch> NewBatch() override {
    return base_->NewBatch();
  }
  Status Write(storage::WriteBatch* batch, bool sync) override {
    return base_->Write(batch, sync);
  }
  Status Checkpoint(const std::string& dir) override {
    return base_->Checkpoint(dir);
  }
  uint64_t ApproximateSizeBytes() override {
    return base_->ApproximateSizeBytes();
  }
  Status VerifyChecksums() override { return base_->VerifyChecksums(); }
  Status WriteFailure() override { return base_->WriteFailure(); }

 private:
  class CountingIterator : public storage::Iterator {
   public:
    CountingIterator(std::unique_ptr<storage::Iterator> base, uint64_t* steps)
        : base_(std::move(base)), steps_(steps) {}
    bool Valid() const override { return base_->Valid(); }
    void SeekToFirst() override { ++*steps_, base_->SeekToFirst(); }
    void SeekToLast() override { ++*steps_, base_->SeekToLast(); }
    void Seek(std::string_view target) override {
      ++*steps_, base_->Seek(target);
    }
    void Next() override { ++*steps_, base_->Next(); }
    void Prev() override { ++*steps_, base_->Prev(); }
    std::string_view key() const override { return base_->key(); }
    std::string_view value() const override { return base_->value(); }
    Status status() const override { return base_->status(); }

   private:
    std::unique_ptr<storage::Iterator> base_;
    uint64_t* const steps_;
  };

  storage::KvStore* const base_;
  std::array<uint64_t, storage::kFamilyCount> reads_{};
};

}  // namespace weft::testing
