#include "storage/memory_kv_store.h"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace weft::storage {
namespace {

using Table = std::map<std::string, std::string, std::less<>>;
// Each table is shared with the iterators open on it and copied by the
// first write while one is (copy on write): opening an iterator is O(1),
// and a write pays for a copy only when a snapshot needs one.
using Tables = std::array<std::shared_ptr<Table>, kFamilyCount>;

class MemoryBatch : public WriteBatch {
 public:
  struct Entry {
    Family family;
    std::string key;
    std::optional<std::string> value;      // nullopt: delete
    std::optional<std::string> range_end;  // set: delete [key, range_end)
    bool append = false;                   // value appended, not put
  };
  void Put(Family family, std::string_view key,
           std::string_view value) override {
    entries_.push_back(
        {family, std::string(key), std::string(value), std::nullopt});
  }
  void Delete(Family family, std::string_view key) override {
    entries_.push_back({family, std::string(key), std::nullopt, std::nullopt});
  }
  void Append(Family family, std::string_view key,
              std::string_view bytes) override {
    entries_.push_back(
        {family, std::string(key), std::string(bytes), std::nullopt, true});
  }
  void DeleteRange(Family family, std::string_view begin,
                   std::string_view end) override {
    entries_.push_back(
        {family, std::string(begin), std::nullopt, std::string(end)});
  }
  size_t Count() const override { return entries_.size(); }
  void Clear() override { entries_.clear(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// Iterates one table as it was when the iterator was made: a snapshot,
// as the port promises (writes copy a table an iterator still holds).
class MemoryIterator : public Iterator {
 public:
  explicit MemoryIterator(std::shared_ptr<const Table> snapshot)
      : table_(std::move(snapshot)), it_(table_->end()) {}
  bool Valid() const override { return it_ != table_->end(); }
  void SeekToFirst() override { it_ = table_->begin(); }
  void SeekToLast() override {
    it_ = table_->empty() ? table_->end() : std::prev(table_->end());
  }
  void Seek(std::string_view target) override {
    it_ = table_->lower_bound(target);
  }
  void Next() override { ++it_; }
  void Prev() override {
    it_ = it_ == table_->begin() ? table_->end() : std::prev(it_);
  }
  std::string_view key() const override { return it_->first; }
  std::string_view value() const override { return it_->second; }
  Status status() const override { return Status::OK(); }

 private:
  std::shared_ptr<const Table> table_;
  Table::const_iterator it_;
};

class MemoryKvStore : public KvStore {
 public:
  Status Get(Family family, std::string_view key, std::string* value) override {
    std::lock_guard<std::mutex> lock(mutex_);
    const Table& table = *tables_[static_cast<int>(family)];
    auto it = table.find(key);
    if (it == table.end()) return Status::NotFound(FamilyName(family));
    *value = it->second;
    return Status::OK();
  }
  std::unique_ptr<WriteBatch> NewBatch() override {
    return std::make_unique<MemoryBatch>();
  }
  Status Write(WriteBatch* batch, bool /*sync*/) override {
    auto* memory_batch = static_cast<MemoryBatch*>(batch);
    std::lock_guard<std::mutex> lock(mutex_);
    for (const MemoryBatch::Entry& entry : memory_batch->entries()) {
      Table& table = Writable(entry.family);
      if (entry.range_end) {
        table.erase(table.lower_bound(entry.key),
                    table.lower_bound(*entry.range_end));
      } else if (entry.append) {
        table[entry.key].append(*entry.value);
      } else if (entry.value) {
        table[entry.key] = *entry.value;
      } else {
        table.erase(entry.key);
      }
    }
    return Status::OK();
  }
  std::unique_ptr<Iterator> NewIterator(Family family) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::make_unique<MemoryIterator>(tables_[static_cast<int>(family)]);
  }
  Status Checkpoint(const std::string& /*dir*/) override {
    return Status::NotSupported("a memory store has no checkpoints");
  }
  uint64_t ApproximateSizeBytes() override { return 0; }
  Status VerifyChecksums() override { return Status::OK(); }  // no blocks
  Status WriteFailure() override { return Status::OK(); }

 private:
  // The table of `family`, ready to be changed: copied first if an
  // iterator still reads it. Called with mutex_ held.
  Table& Writable(Family family) {
    std::shared_ptr<Table>& table = tables_[static_cast<int>(family)];
    if (table.use_count() > 1) table = std::make_shared<Table>(*table);
    return *table;
  }

  std::mutex mutex_;
  Tables tables_ = [] {
    Tables tables;
    for (auto& table : tables) table = std::make_shared<Table>();
    return tables;
  }();
};

}  // namespace

std::unique_ptr<KvStore> NewMemoryKvStore() {
  return std::make_unique<MemoryKvStore>();
}

}  // namespace weft::storage
