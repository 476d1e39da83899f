// Engine: the change log and the documents derived from it, behind one
// write lock. weft::Database and weft::Transaction are its public faces.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/docs/doc_store.h"
#include "engine/log/change_log.h"

namespace weft::engine {

class Engine {
 public:
  Engine(storage::KvStore* store, std::unique_ptr<ChangeLog> log,
         const Options& options);
  ~Engine();

  ChangeLog& log() { return *log_; }
  const ChangeLog& log() const { return *log_; }
  DocStore& docs() { return docs_; }
  const Options& options() const { return options_; }

  std::unique_ptr<Transaction> Begin();

  // Runs `body` holding the write lock, unless this thread already holds
  // it (a thread reading inside its own open transaction).
  template <typename Body>
  auto Locked(Body&& body) {
    if (writer_owner_.load() == std::this_thread::get_id()) return body();
    std::lock_guard<std::mutex> lock(writer_);
    return body();
  }

  // The write lock, for transactions.
  void LockWriter();
  void UnlockWriter();

  // Reads (see weft::Database).
  Result<std::string> GetJson(std::string_view doc);
  Result<std::string> GetPathJson(std::string_view doc, std::string_view path);
  Result<std::string> GetConflictsJson(std::string_view doc,
                                       std::string_view path);
  Result<std::string> ReadText(std::string_view doc, std::string_view path,
                               uint64_t position, uint64_t count);
  Result<std::string> GetJsonAsOf(std::string_view doc, const Hash& as_of);
  Result<std::string> EncodedState(std::string_view doc);
  Result<std::vector<uint64_t>> DocumentHistory(std::string_view doc);
  // Without a collection: the collections. With one: its existing keys.
  Result<std::vector<std::string>> ListDocuments(
      const std::optional<std::string>& collection);
  Result<std::string> GetListRangeJson(std::string_view doc,
                                       std::string_view path, uint64_t position,
                                       uint64_t count);

 private:
  // REQUIRES: the write lock. NotFound if the document does not exist.
  Result<Document*> LoadExisting(const DocRef& doc, std::string_view address);

  storage::KvStore* store_;
  std::unique_ptr<ChangeLog> log_;
  DocStore docs_;
  const Options options_;
  std::mutex writer_;
  std::atomic<std::thread::id> writer_owner_;
};

// A value located by a path: the map key (or list element) it sits at.
struct Location {
  const Object* parent = nullptr;  // a map or a list
  std::string key;                 // when the parent is a map
  uint64_t index = 0;              // when the parent is a list
};

// Splits "a.b.2" into segments. InvalidArgument on an empty segment.
Result<std::vector<std::string>> ParsePath(std::string_view path);
// Walks `path` in `document` without changing it. NotFound if a segment
// is missing; InvalidArgument if one crosses a scalar.
Result<Location> Locate(const Document& document, std::string_view path);
// The winning value at a location, if any.
const Value* ValueAt(const Document& document, const Location& location);

}  // namespace weft::engine
