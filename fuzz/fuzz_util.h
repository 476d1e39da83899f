// Shared by the fuzz targets: a real database in a temp folder, opened once
// per process (RocksDB on disk, as in production), and a reader of the
// input's bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft::fuzz {

// The database of this process: a few documents and a view, so that
// sessions and queries have something to read. Closed, then removed, when
// the process exits.
class SharedState {
 public:
  SharedState() {
    auto opened = Database::Open(dir_.Sub("db"), Options());
    if (!opened.ok()) abort();
    db_ = std::move(opened).value();
    for (int doc = 0; doc < 4; ++doc) {
      auto txn = db_->Begin();
      std::string name = "todos/" + std::to_string(doc);
      txn->PutJson(name, R"({"title": "t", "n": 1, "tags": ["a"]})")
          .SpliceText(name, "note", 0, 0, "hello");
      if (!txn->Commit().ok()) abort();
    }
    auto view = ViewDefinition::FromJson(
        R"({"name": "by_n", "kind": "index", "collection": "todos",
            "fields": ["n"]})");
    if (!view.ok() || !db_->CreateView(*view).ok()) abort();
  }
  Database* db() { return db_.get(); }

 private:
  testing::TempDir dir_;  // goes after the database (members go in reverse)
  std::unique_ptr<Database> db_;
};

inline Database* SharedDatabase() {
  static SharedState state;
  return state.db();
}

// Takes bytes from the front of the input; zeros once it is used up.
class Input {
 public:
  Input(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}
  uint8_t Byte() {
    if (rest_.empty()) return 0;
    uint8_t byte = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return byte;
  }
  std::string_view Take(size_t size) {
    std::string_view taken = rest_.substr(0, size);
    rest_.remove_prefix(taken.size());
    return taken;
  }
  std::string_view rest() const { return rest_; }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace weft::fuzz
