// weft::Transaction: edits to documents that become ONE change on Commit.
//
// Paths name a value inside a document: "title", "address.city", "tags",
// "items.2" (the third element of list "items"). Maps on the way that do not
// exist yet are created. Each edit is checked when it is made; the first
// one that fails (bad path, wrong type, index out of range, invalid UTF-8,
// value over the limit) makes Commit fail too, and nothing is committed.
// Edits return the transaction, so they chain, and need no check of their
// own: status() tells the first failure so far, Commit() returns it.
//
//   txn->Set("todos/1", "title", std::string("milk")).Increment("todos/1",
//                                                               "votes", 1);
//   Result<Hash> hash = txn->Commit();
//
// A transaction holds the database's write lock from Begin until Commit or
// Abort (or its destruction, which aborts): other writers, and readers on
// other threads, wait. Reads through the transaction see its own edits.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/change.h"
#include "weft/hash.h"
#include "weft/status.h"

namespace weft {

namespace engine {
class Engine;
struct TransactionState;
}  // namespace engine

// The kinds of object Make creates.
enum class ObjectType : uint8_t { kMap, kList, kText, kCounter, kSet };

// Edits that commit as one change (see the top of this file); made by
// Database::Begin.
class Transaction {
 public:
  ~Transaction();  // aborts if neither committed nor aborted
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Documents are addressed "collection/key".
  Transaction& CreateDocument(std::string_view doc);
  // Deletes what this replica sees of the document (observed-remove).
  Transaction& DeleteDocument(std::string_view doc);

  // Sets a register (a map key) to a scalar. kMultiValue keeps every
  // concurrent value as the value.
  Transaction& Set(std::string_view doc, std::string_view path,
                   const Scalar& value, Flavour flavour = Flavour::kDefault);
  // Deletes a map key, or the list element a path ends at.
  Transaction& Delete(std::string_view doc, std::string_view path);
  // Makes a new empty object at a map key, replacing what this replica
  // sees there. Flavours: counter kGrowOnly; set kGrowOnly or kTwoPhase;
  // map kLastWriterWins.
  Transaction& Make(std::string_view doc, std::string_view path,
                    ObjectType type, Flavour flavour = Flavour::kDefault);

  // Adds `delta` to a counter (made if missing).
  Transaction& Increment(std::string_view doc, std::string_view path,
                         int64_t delta);
  // Adds to / removes from a set (made if missing).
  Transaction& SetAdd(std::string_view doc, std::string_view path,
                      const Scalar& member);
  Transaction& SetRemove(std::string_view doc, std::string_view path,
                         const Scalar& member);
  // Inserts before position `index` of a list (made if missing);
  // index == length appends.
  Transaction& ListInsert(std::string_view doc, std::string_view path,
                          uint64_t index, const Scalar& value);
  Transaction& ListDelete(std::string_view doc, std::string_view path,
                          uint64_t index, uint64_t count);
  // Replaces `delete_count` code points at `position` of a text (made if
  // missing) with `text` (UTF-8).
  Transaction& SpliceText(std::string_view doc, std::string_view path,
                          uint64_t position, uint64_t delete_count,
                          std::string_view text);

  // Replaces the whole document with a JSON object: root keys it lacks are
  // deleted; objects become maps, arrays lists, strings/numbers/booleans/
  // null registers. InvalidArgument on malformed JSON (naming the column),
  // on keys that paths cannot address ("" or containing '.'), and on
  // objects or arrays inside arrays (not supported yet).
  Transaction& PutJson(std::string_view doc, std::string_view json);
  // Sets the value at `path` from JSON, as PutJson does for each key.
  Transaction& SetJson(std::string_view doc, std::string_view path,
                       std::string_view json);

  // Optimistic concurrency: Commit fails with Conflict, committing nothing,
  // unless the heads are exactly these when it runs.
  void ExpectHeads(std::vector<Hash> heads);
  // Committing a key that was committed before returns that commit's hash
  // and writes nothing. The key -> hash record is written with the change.
  void SetIdempotencyKey(std::string key);
  void SetMessage(std::string message);

  // OK while every edit so far succeeded; else the first failure, with
  // which Commit will fail.
  const Status& status() const;

  // Reads that see this transaction's edits (JSON text).
  Result<std::string> GetJson(std::string_view doc);

  // Commits the edits as one change and returns its hash. InvalidArgument
  // if there is nothing to commit; the first edit error if any failed.
  Result<Hash> Commit();
  // Drops the edits and releases the write lock.
  void Abort();

 private:
  friend struct engine::TransactionState;
  explicit Transaction(std::unique_ptr<engine::TransactionState> state);
  // Records the first failed edit (Commit then fails with it); returns it.
  Status Fail(Status status);
  // Runs one edit, recording its failure.
  template <typename Edit>
  void Record(Edit&& edit) {
    Status status = edit();
    if (!status.ok()) static_cast<void>(Fail(std::move(status)));
  }
  std::unique_ptr<engine::TransactionState> state_;
};

}  // namespace weft
