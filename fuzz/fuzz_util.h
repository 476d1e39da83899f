// Shared by the fuzz targets: a real database in a temp folder, opened once
// per process (RocksDB on disk, as in production), and a reader of the
// input's bytes.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "weft/database.h"

namespace weft::fuzz {

// The database of this process: a few documents and a view, so that
// sessions and queries have something to read. Removed at exit.
inline Database* SharedDatabase() {
  static std::string dir = [] {
    char pattern[] = "/tmp/weft-fuzz-XXXXXX";
    std::string made = mkdtemp(pattern);
    std::atexit([] { std::filesystem::remove_all(dir); });
    return made;
  }();
  static std::unique_ptr<Database> db = [] {
    auto opened = Database::Open(dir + "/db", Options());
    if (!opened.ok()) abort();
    for (int doc = 0; doc < 4; ++doc) {
      auto txn = (*opened)->Begin();
      std::string name = "todos/" + std::to_string(doc);
      txn->PutJson(name, R"({"title": "t", "n": 1, "tags": ["a"]})")
          .PermitUncheckedError();
      txn->SpliceText(name, "note", 0, 0, "hello").PermitUncheckedError();
      if (!txn->Commit().ok()) abort();
    }
    auto view = ViewDefinition::FromJson(
        R"({"name": "by_n", "kind": "index", "collection": "todos",
            "fields": ["n"]})");
    if (!view.ok() || !(*opened)->CreateView(*view).ok()) abort();
    return std::move(opened).value();
  }();
  return db.get();
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
