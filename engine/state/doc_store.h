// DocStore: the materialized state of every document (the `docs` family),
// kept current in the same batch as each change (DESIGN.md §5-6).
//
// Rows, snapshots and a tail: a small document (its state at most
// kRowBytesMax) is written whole by every batch that changes it, so that
// loading it is one read and a scan of a collection reads each state once,
// in order, like the rows of a table. Rewriting a 100 KB text on every
// keystroke is out, so a larger document's state is written as a snapshot
// only once the changes since the last one add up to four times the
// snapshot's size (or 4096 changes), and when the database is closed; each
// change in between costs one small history entry. Loading it reads its
// snapshot and replays that bounded tail. Nothing replays the whole log, on
// open or ever. Every document with a history has its `s` entry (row or
// snapshot) from the batch of its first change on. Layout in
// engine/FORMAT.md.
//
// The history entries themselves are written every 256 changes (one entry
// per document for all of them) and on close, not by each commit: the
// positions since are kept in memory, read together with those written,
// and found again in the log on open (at most 255 changes after a crash).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "dag/dag.h"
#include "engine/crdt/document.h"
#include "engine/log/change_observer.h"
#include "engine/log/log_entries.h"
#include "storage/kv_store.h"

namespace weft::engine {

// Order-preserving key of a document: (collection, key), each escaped.
std::string DocKey(const DocRef& doc);
// Splits "collection/key" (at the first '/'). InvalidArgument if either
// part is empty or not UTF-8.
Result<DocRef> ParseDocRef(std::string_view address);

class DocStore : public ChangeObserver {
 public:
  // `runs` (the log's, not owned) serves reads of changes in packed runs.
  DocStore(storage::KvStore* store, RunCache* runs)
      : store_(store), runs_(runs) {}

  // A small document's state is kept as a row up to this many bytes.
  static constexpr size_t kRowBytesMax = 1024;

  // Finds in the log the history not yet written: the changes after meta
  // `touches_at` up to `log_length`. A database without `touches_at` has
  // every entry written; a writable open then records `touches_at`.
  // `before_rows`: the docs family is in the layout of format 7 (a
  // snapshot for some documents, none a row): a writable open moves it to
  // rows (restartably, then writes format 8), a read-only one reads it as
  // it is. REQUIRES: the write lock; called once, before any other method.
  Status Start(uint64_t log_length, bool read_only, bool before_rows);

  // The current state of `doc` (an empty Document if never written).
  // REQUIRES: the caller holds the database's write lock.
  Result<Document*> Load(const DocRef& doc);
  // Replays each of `docs` from the log alone (no snapshot), all by one
  // walk of the log, and compares the result with its stored state and
  // its state in memory; adds what differs to *problems and counts the
  // histories' entries in *touches. (Reading each one's history by
  // position would rebuild a packed run once per document with a change
  // in it.) REQUIRES: the write lock, no transaction open.
  Status VerifyDocuments(const std::vector<DocRef>& docs, uint64_t* touches,
                         std::vector<std::string>* problems);
  // Adds to *problems where `doc`'s stored state or its state in memory
  // is not `expected` (serialized), the log's replay of it.
  void CompareWithReplay(const DocRef& doc, const std::string& at,
                         const std::string& expected,
                         std::vector<std::string>* problems);
  // Forgets the cached state (after a transaction that did not commit).
  void Invalidate(const DocRef& doc);
  // The state of `doc` made only of changes in `ancestors`, replayed from
  // the document's history in log order.
  Result<Document> LoadAsOf(const DocRef& doc, const dag::HashSet& ancestors);
  // Calls visit(position) for each change that touched `doc` at or after
  // `first_position`, in log order, until it returns false.
  Status ForEachTouch(const DocRef& doc, uint64_t first_position,
                      const std::function<bool(uint64_t)>& visit);

  // Calls visit(doc) for every document with a history, in (collection,
  // key) order, until it returns false. With `start`, from the first
  // document whose DocKey is >= start.
  Status ForEachDocument(const std::function<bool(const DocRef&)>& visit,
                         std::string_view start = {});
  // A document's state as ForEachState finds it, valid during the visit.
  class StateRef {
   public:
    // The serialized state when the document is a row read from the store
    // (else empty): what a check can read in place (RootMapPeek) first.
    std::string_view row() const { return row_; }
    // The state, decoded on first use. Corruption if the row does not
    // decode (ForEachState then returns it).
    Result<const Document*> document();

   private:
    friend class DocStore;
    const Document* document_ = nullptr;
    std::string_view row_;
    std::optional<Document> decoded_;
    Status status_;
  };
  // Like ForEachDocument, with each document's current state: a row is
  // read where the walk finds it (one read per document, nothing cached),
  // a snapshot is loaded with its tail.
  using StateVisitor = std::function<bool(
      const DocRef& doc, std::string_view doc_key, StateRef& state)>;
  Status ForEachState(const StateVisitor& visit, std::string_view start = {});
  // The smallest DocKey after every DocKey of `doc_key`'s document and
  // before the next document's.
  static std::string KeyAfter(std::string_view doc_key);
  // The smallest DocKey of `collection`'s documents.
  static std::string CollectionStart(std::string_view collection);

  // The documents the batch being staged changes (in DocKey order); valid
  // from OnStage until OnWritten or OnAbort.
  struct TouchedDoc {
    DocRef doc;
    std::vector<uint64_t> positions;  // of the changes, ascending
  };
  const std::map<std::string, TouchedDoc>& touched_in_batch() const {
    return touched_in_batch_;
  }

  Status OnStage(const Hash& hash, std::string_view bytes, const Change& change,
                 uint64_t position, bool local,
                 storage::WriteBatch* writes) override;
  Status OnBatchStaged(storage::WriteBatch* writes) override;
  void OnAbort() override;

  // Adds a snapshot of every cached document changed since its last one,
  // as of `log_length`, and the history not yet written (on close: the
  // next open and load then replay nothing).
  // REQUIRES: the write lock, no transaction open.
  void WriteOnClose(uint64_t log_length, storage::WriteBatch* writes);
  void OnWritten() override;

 private:
  struct Cached {
    Document document;
    uint64_t tail_changes = 0;  // applied since the snapshot
    uint64_t tail_bytes = 0;
    uint64_t snapshot_bytes = 0;
    bool stored = false;  // the `s` entry exists
    bool row = false;     // and is a row: each batch rewrites it
  };
  // The first document whose DocKey is >= start, read with `it` (over the
  // docs family; of format 7: from the history entries and the history not
  // yet written); *found is false past the last.
  Status SeekDocument(storage::Iterator* it, std::string_view start,
                      DocRef* doc, bool* found) const;
  // Whether `doc_key`'s `s` entry is in the layout of format 7.
  bool InOldLayout(std::string_view doc_key) const {
    return before_rows_ && doc_key > moved_through_;
  }
  // Decodes an `s` entry of `doc_key` into *cached (and its checkpoint).
  Status DecodeStored(std::string_view doc_key, std::string_view value,
                      Cached* cached, uint64_t* checkpoint) const;
  // Rewrites every `s` entry of format 7 as a row or a snapshot as of
  // `log_length`, in batches, resuming after meta `docs_moved_through`;
  // the last batch writes format 8.
  Status MoveToRows(uint64_t log_length);
  Result<Cached*> LoadCached(const DocRef& doc);
  // The snapshot of `doc` and the changes since, read from the store.
  Result<Cached> ReadStored(const DocRef& doc, const std::string& doc_key);
  // Writes `cached`'s state as of `checkpoint`: a row when it is small
  // (every change up to `checkpoint` applied), else a snapshot.
  void PutState(const std::string& doc_key, uint64_t checkpoint, Cached* cached,
                storage::WriteBatch* writes);
  // Applies to `document` the changes that touched `doc` from
  // `first_position` on and that `keep(hash)` accepts (null: all). Counts
  // what it applied in *changes and *bytes (may be null).
  Status Replay(const DocRef& doc, uint64_t first_position,
                const dag::HashSet* keep, Document* document, uint64_t* changes,
                uint64_t* bytes);
  void EvictIfFull();
  // Adds to `touches` the positions of `later` (all after theirs).
  static void AppendTouches(const std::map<std::string, TouchedDoc>& later,
                            std::map<std::string, TouchedDoc>* touches);
  // Puts one history entry per document of `touches` (positions
  // ascending) and `touches_at` = `through`.
  static void PutTouches(const std::map<std::string, TouchedDoc>& touches,
                         uint64_t through, storage::WriteBatch* writes);
  // A logged change, decoded, from the small cache of recent ones: changes
  // that touch several documents are read once when their documents are
  // loaded one after another (a view build, a scan, neighbours read
  // together).
  struct DecodedChange {
    Hash hash;
    size_t bytes = 0;
    Change change;
  };
  Result<std::shared_ptr<const DecodedChange>> ReadChange(uint64_t position);

  storage::KvStore* const store_;
  RunCache* const runs_;
  std::map<std::string, Cached, std::less<>> cache_;  // by DocKey
  std::map<uint64_t, std::shared_ptr<const DecodedChange>> decoded_;
  std::deque<uint64_t> decoded_order_;  // oldest first
  size_t decoded_bytes_ = 0;
  std::map<std::string, TouchedDoc> touched_in_batch_;  // by DocKey
  uint64_t batch_last_position_ = 0;  // of the batch being staged
  // Every position up to touches_at_ is in a written history entry; those
  // after it that touched a document are here, by DocKey.
  uint64_t touches_at_ = 0;
  std::map<std::string, TouchedDoc> unwritten_touches_;
  bool batch_writes_touches_ = false;  // the staged batch writes them all
  // Format 7's layout (read-only, or a move to rows under way): the `s`
  // entries after moved_through_ hold no rows, and not every document has
  // one.
  bool before_rows_ = false;
  std::string moved_through_;  // DocKey; empty: none moved
};

}  // namespace weft::engine
