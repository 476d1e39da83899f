// weft::Database: an open weft database, the append-only log of changes.
//
// Thread safety: every method may be called from any thread; writes are
// serialized internally.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/change.h"
#include "weft/hash.h"
#include "weft/options.h"
#include "weft/records.h"
#include "weft/status.h"
#include "weft/sync.h"
#include "weft/transaction.h"
#include "weft/view.h"

namespace weft {

namespace dag {
class AuthorKey;
}
namespace engine {
class Engine;
}
namespace storage {
class FaultPlan;
class KvStore;
}  // namespace storage

class Database {
 public:
  // Opens the database in folder `path`. Busy if another process has it
  // open; NotSupported if it is of an unknown format version. Opening reads
  // heads and the version vector, never the log.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const Options& options);
  // Tests only: Open, with the disk's faults injected as `faults` plans
  // (storage/fault_plan.h).
  static Result<std::unique_ptr<Database>> OpenWithFaults(
      const std::string& path, const Options& options,
      std::shared_ptr<storage::FaultPlan> faults);
  ~Database();
  Database(const Database&) = delete;

  // OK, or why every write now fails: after a write failed on the disk
  // (full, or an I/O error) the store refuses the rest until reopened.
  Status WriteFailure() const;
  // Closes the database and opens it again in place, as it was opened
  // (what a failed write needs before writing again: RocksDB 7.8 resumes
  // only through a new open). Should that open fail, opens it read-only so
  // that reads go on, and returns why; should both fail, the Database holds
  // nothing (is_open() false) and may only be destroyed.
  // REQUIRES: nothing uses the database meanwhile, and nothing made by it
  // (transactions, cursors, subscriptions, sync endpoints, servers) is
  // left.
  Status Reopen();
  bool is_open() const;
  const std::string& path() const { return path_; }
  Database& operator=(const Database&) = delete;

  // This replica's actor id, chosen at random when the database was created.
  ActorId local_actor() const;

  // Starts a transaction: it holds the write lock until Commit or Abort.
  std::unique_ptr<Transaction> Begin();

  // A document as JSON text. NotFound if it does not exist (never written,
  // or deleted).
  Result<std::string> GetJson(std::string_view doc) const;
  // The scalar at `path` (the winning value of a map key): NotFound if there
  // is none, InvalidArgument if it is an object (a map, list, text, counter
  // or set: read those as JSON).
  Result<Scalar> Get(std::string_view doc, std::string_view path) const;
  // The value at `path` as JSON text. NotFound if there is none.
  Result<std::string> GetPathJson(std::string_view doc,
                                  std::string_view path) const;
  // Every concurrent value at a map key, winner last, as a JSON array of
  // {"id": "counter@actor", "value": ...}. NotFound if the key is unset.
  Result<std::string> GetConflictsJson(std::string_view doc,
                                       std::string_view path) const;
  // Code points [position, position + count) of the text at `path`
  // (clipped to its length), as UTF-8.
  Result<std::string> ReadText(std::string_view doc, std::string_view path,
                               uint64_t position, uint64_t count) const;
  // The collections that hold documents, sorted; and the keys of the
  // existing documents of one collection, sorted. Cost: one seek per
  // document ever written (and, for keys, loading each one).
  Result<std::vector<std::string>> ListCollections() const;
  Result<std::vector<std::string>> ListKeys(std::string_view collection) const;

  // The log positions of the changes that touched a document, oldest
  // first (its history; deleted documents keep theirs).
  Result<std::vector<uint64_t>> DocumentHistory(std::string_view doc) const;

  // The canonical bytes of a document's merged state (CRDT metadata
  // included): replicas with equal heads have equal bytes. Empty state for
  // a document never written.
  Result<std::string> EncodedState(std::string_view doc) const;
  // Elements [position, position + count) of the list at `path` (clipped
  // to its length), as a JSON array.
  Result<std::string> GetListRangeJson(std::string_view doc,
                                       std::string_view path, uint64_t position,
                                       uint64_t count) const;
  // The document as it was once the change `as_of` (and its ancestors) were
  // applied: replayed from the document's history.
  Result<std::string> GetJsonAsOf(std::string_view doc,
                                  const Hash& as_of) const;
  // The value at `path` of the document as it was once `as_of` was applied.
  Result<std::string> GetPathJsonAsOf(std::string_view doc,
                                      std::string_view path,
                                      const Hash& as_of) const;

  // Commits a change of caller-made ops by the local actor on the current
  // heads, as ONE atomic write (change, log entry, index, heads, version
  // vector, documents). Returns its hash. InvalidArgument if the draft
  // breaks a limit; nothing is written. Transactions are the friendlier way.
  Result<Hash> Commit(const ChangeDraft& draft);
  // Commits several changes, each on the previous one, in one atomic write.
  Result<std::vector<Hash>> CommitBatch(const std::vector<ChangeDraft>& drafts);
  // The op counter the next committed op will get (ops referring to ops of
  // the same change need it).
  uint64_t NextOpCounter() const;

  // Receives a change from another replica: verifies the bytes, then stores
  // it if its parents are stored, else parks it in the bounded pending area
  // until they arrive (and then stores it in causal order). `proofs` are
  // what the sender's ProveChange gave: they must show that the change's
  // actor signed it (dag/FORMAT.md, "Signed authorship").
  // Errors: Corruption (bad bytes, or not matching `claimed_hash`),
  // InvalidArgument (over a limit, seq gap or repeat, bad op counters, no
  // proof or a false one), AlreadyExists (already stored or pending), Busy
  // (pending area full). Nothing of a rejected change is stored.
  Result<ReceiveOutcome> Receive(std::string_view bytes,
                                 std::string_view proofs);
  Result<ReceiveOutcome> Receive(const Hash& claimed_hash,
                                 std::string_view bytes,
                                 std::string_view proofs);
  // The proofs that the stored change `hash` is its actor's, for Receive
  // on another replica (signed now if it is this replica's own change).
  Result<std::string> ProveChange(const Hash& hash) const;

  // NotFound if absent; Corruption if the stored bytes fail their hash.
  Result<StoredChange> GetChange(const Hash& hash) const;
  Result<StoredChange> GetChangeAt(uint64_t position) const;
  // Resolves a git-like abbreviation (at least 4 hex digits) of a stored
  // change's hash. InvalidArgument if ambiguous, NotFound if none matches.
  Result<Hash> ResolveHashPrefix(std::string_view hex_prefix) const;
  // Calls `visit(position, hash)` for each log entry from `first_position`
  // on, in log order, until it returns false.
  Status ScanLog(uint64_t first_position,
                 const std::function<bool(uint64_t, const Hash&)>& visit) const;

  uint64_t LogLength() const;
  std::vector<Hash> Heads() const;         // sorted
  std::vector<ActorState> Actors() const;  // sorted by actor
  size_t PendingCount() const;

  // Reads every block of every family (its checksum), re-hashes every
  // stored change and checks closure, log/index agreement, heads and the
  // version vector; then (unless options.quick) replays each document's
  // history from the log and compares it with the stored state, and
  // recomputes every built view's rows from those documents. Problems are
  // reported, not repaired. Holds the write lock while it replays: writers
  // wait.
  Result<VerifyReport> Verify(const VerifyOptions& options = {}) const;

  // Writes every change (in causal order), the heads and the views'
  // definitions to `path` as a self-verifying bundle (a checksum over the
  // whole file). The file is
  // written to `path`.tmp and renamed, so a crash never leaves half of one.
  // `progress` (may be null) hears how many of the log's changes are done.
  struct ExportStats {
    uint64_t changes = 0;
    uint64_t bytes = 0;
  };
  using ChangeProgressCallback =
      std::function<void(uint64_t done, uint64_t total)>;
  Result<ExportStats> Export(
      const std::string& path,
      const ChangeProgressCallback& progress = nullptr) const;
  // Merges a bundle: verified whole (checksum, every change, closure,
  // heads) before anything is stored, then stored in one atomic write.
  // Importing a bundle again stores nothing. Corruption for a damaged file.
  // `progress` (may be null) hears how many of the bundle's changes are
  // checked; the one write follows. The bundle's views (their definitions)
  // are then created and built here, unless a view of that name exists:
  // a different one is kept as it is (listed in views_kept). A crash
  // between the write and the views leaves them to the next import.
  struct ImportStats {
    uint64_t changes_in_bundle = 0;
    uint64_t stored = 0;  // new to this database
    std::vector<std::string> views_created;
    std::vector<std::string> views_kept;  // same name, other definition
  };
  Result<ImportStats> Import(const std::string& path,
                             const ChangeProgressCallback& progress = nullptr);

  // Views (weft/view.h). CreateView persists the definition, then builds
  // the view from every document of its collection in chunks (commits may
  // run between them), reporting progress; once built, every commit keeps
  // it current in the same atomic write. A build cut short by a crash
  // resumes from its checkpoint when the database is next opened.
  // Errors: InvalidArgument (malformed definition), AlreadyExists (name
  // taken), NotFound (no such view).
  Status CreateView(const ViewDefinition& definition,
                    const ViewProgressCallback& progress = nullptr);
  Status DropView(std::string_view name);
  // Recomputes the view from scratch; the rows come out byte-identical to
  // those kept incrementally.
  Status RebuildView(std::string_view name,
                     const ViewProgressCallback& progress = nullptr);
  std::vector<ViewDefinition> ListViews() const;
  // Calls visit(row) for each row of the view in key order until it
  // returns false. Busy while the view is still building.
  Status ScanView(std::string_view name,
                  const std::function<bool(const ViewRow&)>& visit) const;
  // SHA-256 over the view's stored rows: equal on replicas with equal heads.
  Result<Hash> ViewDigest(std::string_view name) const;

  // The documents of `collection` matching `predicate`, in `options` order.
  // Uses an index view when one matches, else scans the collection.
  // Ordering by a field without an index needs a limit (InvalidArgument
  // otherwise): the top `limit` documents are kept while scanning.
  Result<std::unique_ptr<FindCursor>> Find(
      std::string_view collection, const Predicate& predicate,
      const FindOptions& options = FindOptions()) const;
  // How Find would run the same query.
  Result<QueryPlan> Explain(std::string_view collection,
                            const Predicate& predicate,
                            const FindOptions& options = FindOptions()) const;

  // Calls `callback` for each committed change (local or received) that
  // touches the target, after it is durable, in log order, on the thread
  // that committed or received it. The callback may read, write and
  // unsubscribe (itself included). Returns the subscription's id.
  Result<uint64_t> Subscribe(const SubscriptionTarget& target,
                             ChangeCallback callback);
  // NotFound for an unknown id. Once it returns, the callback is not
  // called again (except by a delivery already running on another thread).
  Status Unsubscribe(uint64_t id);

  // How the database stands now (weft/records.h DatabaseStatus).
  Result<DatabaseStatus> GetStatus() const;

  // The peers remembered, most recently synced first. At most 1024 are
  // kept (the least recently synced goes), none older than 180 days, and
  // none whose summary claimed over 1024 actors this replica still lacks
  // once the session ended (engine/sync/PROTOCOL.md).
  Result<std::vector<PeerInfo>> ListPeers() const;
  // Forgets one peer (its next session summarises in full); NotFound if
  // unknown.
  Status ForgetPeer(const ActorId& replica);
  Status ForgetAllPeers();

  // One side of a sync session with another replica, over any transport
  // (weft/sync.h): the initiator is the side that connected.
  // `peer_address` (initiator): where the peer was reached, e.g.
  // "host:port". The replica that answered there last time is assumed, so
  // the first summary can list only what changed since that session (a
  // wrong guess costs one more message, never a wrong result).
  Result<std::unique_ptr<SyncEndpoint>> NewSyncEndpoint(
      bool initiator, const SyncOptions& options = SyncOptions(),
      const std::string& peer_address = "");

  // Writes a consistent copy of the live database into new folder `dir`.
  Status Checkpoint(const std::string& dir);
  // Bytes the database occupies on disk.
  uint64_t ApproximateSizeBytes() const;

 private:
  Database(std::string path, const Options& options,
           std::shared_ptr<storage::FaultPlan> faults);
  // Opens the store and the engine with `options`.
  Status OpenParts(const Options& options);

  const std::string path_;
  const Options options_;
  const std::shared_ptr<storage::FaultPlan> faults_;
  std::unique_ptr<dag::AuthorKey> author_;  // signs; outlives the engine
  std::unique_ptr<storage::KvStore> store_;
  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace weft
