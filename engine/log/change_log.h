// ChangeLog: the append-only, content-addressed log of changes over the
// storage port (DESIGN.md §4-5). Every commit, local or remote, is ONE
// atomic batch: change bytes, log entry, index entry, heads and the actor's
// version-vector entry. Opening reads heads and actors, never the log.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dag/authorship.h"
#include "dag/change_run.h"
#include "engine/log/change_observer.h"
#include "engine/log/keys.h"
#include "engine/log/log_entries.h"
#include "engine/log/log_index.h"
#include "engine/log/log_tail.h"
#include "engine/log/pending_area.h"
#include "storage/kv_store.h"
#include "weft/options.h"
#include "weft/records.h"

namespace weft::engine {

using Clock = std::function<int64_t()>;  // wall clock, ms since the epoch

// Reads the change at `position` straight from the store (a single entry
// or inside a run, log_entries.h), hashes its bytes and decodes them (not
// when `change` is null). Needs no lock. NotFound if there is none.
// Nothing here checks the index: ReadAt (below) and Verify do.
Status ReadLoggedChange(storage::KvStore* store, RunCache* cache,
                        uint64_t position, Hash* hash, std::string* bytes,
                        Change* change);

// Proofs offered with `changes` changes, decoded within the bounds a
// sender that follows ChangeLog::ProofsFor stays in. Empty bytes: none.
Result<std::vector<dag::AuthorshipProof>> DecodeOfferedProofs(
    std::string_view bytes, size_t changes);

class ChangeLog {
 public:
  // Every replica signs its chain at each seq that is a multiple of
  // kProofEvery (and on demand at its last change when it sends). Of the
  // proofs stored within a run it sends, a sender sends those at multiples
  // of kProofSentEvery (and one covering the run's end): a signature is 64
  // bytes nothing compresses, and one per 256 changes outweighed the
  // changes themselves in runs (85 of 240 KB to clone the editing trace).
  // Any run of an actor's changes is then vouched for by a proof at most
  // kProofEvery - 1 hashes away on its author, kProofSentEvery - 1
  // elsewhere.
  static constexpr uint64_t kProofEvery = 256;
  static constexpr uint64_t kProofSentEvery = 16 * kProofEvery;

  // Opens the log kept in `store` (not owned; it must outlive the log).
  // `author` (not owned; may be null where nothing is committed, a
  // read-only open) signs this replica's changes; a store with no data is
  // initialised with its actor, and an existing one must be its.
  static Result<std::unique_ptr<ChangeLog>> Open(storage::KvStore* store,
                                                 const Options& options,
                                                 const dag::AuthorKey* author,
                                                 Clock clock);

  // Writes the heads and actors if changes came since the last checkpoint
  // (best effort: the next open replays them otherwise).
  ~ChangeLog();
  // The least Options::memory_budget_bytes accepted.
  static constexpr size_t kMemoryBudgetMin = 4u << 20;

  ActorId local_actor() const { return local_actor_; }
  // The log's decoded runs, for readers of ReadLoggedChange.
  RunCache* run_cache() const { return &run_cache_; }
  // True for a database of format 5 or 6 opened read-only: its index and
  // seqs families are as those formats wrote them (log_index.h).
  bool legacy_index() const { return legacy_index_; }
  // The documents' states are in format 7's layout (DocStore::Start).
  bool docs_before_rows() const { return docs_before_rows_; }
  // The log position of `actor`'s `seq`; NotFound if it is not stored.
  Status PositionOfSeq(const ActorId& actor, uint64_t seq,
                       uint64_t* position) const;
  // Appends the log positions of `actor`'s seqs after..last, in seq order.
  Status PositionsOfSeqs(const ActorId& actor, uint64_t after, uint64_t last,
                         std::vector<uint64_t>* positions) const;
  // Derived state staged with every change; may be null. Not owned.
  void set_observer(ChangeObserver* observer) { observer_ = observer; }
  Result<std::vector<Hash>> Commit(const std::vector<ChangeDraft>& drafts);
  // Commits one change whose ops the observer has already applied (a
  // transaction), with `start_op` fixed when the transaction began.
  // Conflict if `expected_heads` is given and differs from the heads.
  // With `idempotency_key`, records key -> hash in the same batch.
  Result<Hash> CommitPrepared(const ChangeDraft& draft, uint64_t start_op,
                              const std::vector<Hash>* expected_heads,
                              const std::string* idempotency_key);
  // The hash committed under `key`; NotFound if none.
  Result<Hash> LookupIdempotencyKey(const std::string& key) const;
  uint64_t NextOpCounter() const;
  // `claimed_hash` may be null. `proofs` must vouch for the change (with
  // those of the pending changes it completes): see CheckCovers.
  Result<ReceiveOutcome> Receive(
      const Hash* claimed_hash, std::string_view bytes,
      const std::vector<dag::AuthorshipProof>& proofs);

  // Stores every change of `changes` (causal order, each decoded from
  // canonical bytes whose hash it carries: dag::DecodeRun or
  // dag::RunChangeOf) that is not stored yet, in ONE batch, and checks that
  // each of `heads` is then stored. Any invalid change, missing parent, missing
  // head or missing or false proof rejects the whole set: nothing is stored.
  // Returns how many changes were new. `progress` (may be null) is told every
  // few thousand changes checked.
  Result<uint64_t> ReceiveAll(
      const std::vector<dag::RunChange>& changes,
      const std::vector<dag::AuthorshipProof>& proofs,
      const std::vector<Hash>& heads,
      const std::function<void(uint64_t done, uint64_t total)>& progress =
          nullptr);
  // Calls visit(position, hash, bytes) for every change in log order
  // (the hash computed from the bytes), until visit returns false.
  Status ForEachLogged(
      const std::function<bool(uint64_t, const Hash&, std::string_view)>& visit)
      const;

  // True if a proof of `actor`'s chain at `seq` is stored here (a run
  // of its changes ending there is vouched for without a tail).
  bool HasProofAt(const ActorId& actor, uint64_t seq) const;
  // The proofs that vouch for `changes` (stored ones, in log order), as a
  // receiver checks them: per actor, the proofs stored within its run at
  // multiples of kProofSentEvery and one covering its last change (signed
  // now for this replica's own actor when none is stored).
  Result<std::vector<dag::AuthorshipProof>> ProofsFor(
      const std::vector<std::string>& changes) const;

  Result<StoredChange> GetChange(const Hash& hash) const;
  Result<StoredChange> GetChangeAt(uint64_t position) const;
  Result<Hash> ResolveHashPrefix(std::string_view hex_prefix) const;
  Status ScanLog(uint64_t first_position,
                 const std::function<bool(uint64_t, const Hash&)>& visit) const;
  uint64_t LogLength() const;
  std::vector<Hash> Heads() const;
  std::vector<ActorState> Actors() const;
  size_t PendingCount() const;
  Result<VerifyReport> Verify() const;  // in log_verifier.cc

 private:
  // One atomic write being staged: the index entries it adds, and the
  // heads and actors it changes (written once, in their final state, when
  // the batch is written: a chain of N changes costs one heads update).
  struct Batch {
    std::unique_ptr<storage::WriteBatch> writes;
    std::unordered_map<Hash, IndexEntry, HashHasher> staged;
    std::vector<ActorId> touched_actors;
    // Proofs offered with received changes, by (actor, seq).
    std::map<std::pair<ActorId, uint64_t>, dag::AuthorshipProof> offered;
    // Per remote actor: its last staged seq, and its last seq that an
    // offered proof proved when it was staged.
    std::map<ActorId, uint64_t> remote_first;
    std::map<ActorId, uint64_t> remote_last;
    std::map<ActorId, uint64_t> proven;
    std::set<std::pair<ActorId, uint64_t>> proofs_written;
    // The changes staged, for the log's tail once the batch is written.
    std::vector<TailEntry> tail;
    // A received batch (ReceiveAll): its changes' log entries are written
    // by StageBulkRuns, packed into runs where whole, from `received`.
    bool bulk = false;
    std::vector<const dag::RunChange*> received;  // in log order
    uint64_t packed_through = 0;                  // once written (0: as it was)
  };

  ChangeLog(storage::KvStore* store, const Options& options,
            const dag::AuthorKey* author, Clock clock)
      : store_(store),
        author_(author),
        options_(options),
        clock_(std::move(clock)),
        run_cache_(options.memory_budget_bytes / 8),
        unpacked_bytes_kept_(options.memory_budget_bytes / 64),
        pending_(options.pending_changes_max, options.pending_bytes_max) {}

  Status Initialise(const ActorId& actor);
  // Formats 5 and 6 to 7: rebuilds the index and seqs families from their
  // old entries, and records format 7, in one atomic write.
  static Status MoveToCompactIndex(storage::KvStore* store);
  // Reloads heads, actors and log length from the store: after open, and
  // to forget in-memory updates of a batch that was not written. The heads
  // and actors stored reflect the log up to `heads_at`; the changes after
  // it are replayed (at most kCheckpointEvery of them).
  Status LoadState();
  Status ReplayTail(uint64_t heads_at);
  // Calls visit(position, hash, change, height) for each change stored
  // from `first` on, decoded, its height from its parents'; stops at the
  // first error, visit's or the log's.
  using StoredVisitor =
      std::function<Status(uint64_t, const Hash&, const Change&, uint64_t)>;
  Status WalkStored(uint64_t first, const StoredVisitor& visit) const;
  // Adds to `writes` the heads, the actors changed since the last
  // checkpoint and `heads_at` = the log length.
  void StageCheckpoint(storage::WriteBatch* writes,
                       const std::vector<ActorId>& touched);
  Status LookupIndex(const Hash& hash, const Batch& batch,
                     IndexEntry* entry) const;
  bool IsStored(const Hash& hash) const;
  // Checks `change` against the stored state (parents, seq, op counters);
  // changes nothing. On success fills the change's index entry.
  Status CheckChange(const Batch& batch, const Change& change,
                     IndexEntry* entry) const;
  // The actor's entry once `change` (its next one) is stored.
  ActorEntry NextAuthorEntry(const Change& change, const Hash& hash,
                             uint64_t end_op) const;
  Status OfferProofs(Batch* batch,
                     const std::vector<dag::AuthorshipProof>& proofs);
  // Verifies and stages the proof offered for the received `change`, if
  // any; `author` is its actor's entry with it.
  Status CheckOfferedProof(Batch* batch, const Change& change,
                           const ActorEntry& author) const;
  // InvalidArgument unless every remote actor's run in the batch ends at a
  // proof that verifies; stages the covering proofs.
  Status CheckCovers(Batch* batch) const;
  Status CheckCover(Batch* batch, const ActorId& actor, uint64_t last) const;
  Status DropStaleProofs(Batch* batch, const ActorId& actor,
                         uint64_t first) const;
  void StageProof(Batch* batch, const ActorId& actor, uint64_t seq,
                  std::string_view value) const;
  // Appends the proofs for `actor`'s changes after..last (stored here).
  Status ProveRun(const ActorId& actor, uint64_t after, uint64_t last,
                  std::vector<dag::AuthorshipProof>* out) const;
  Result<Hash> HashOfSeq(const ActorId& actor, uint64_t seq) const;
  // InvalidArgument if a received change claims this replica's actor.
  Status RefuseOwnActor(const Change& change) const;
  // Checks, then adds the change to `batch`, the in-memory state and the
  // observer. `*fatal` is set when the failure came after staging began
  // (the batch must then be abandoned).
  Status StageChange(Batch* batch, const Hash& hash, std::string_view bytes,
                     const Change& change, bool local, bool* fatal,
                     const dag::RunChange* received = nullptr);
  // The log entries of a bulk batch: every whole run of kPackedRunChanges
  // from packed_through_ + 1 (the changes not packed yet, when unpacked_
  // holds them all, then the batch's), leaving single the newest
  // kPackedRunChanges or more, as PackLog does; the rest single. Nothing is
  // read back from the log or decoded again.
  void StageBulkRuns(Batch* batch);
  // After a bulk batch is written: packed_through_ and unpacked_ as it
  // left them.
  void NoteBulkWritten(const Batch& batch);
  // Indexes the tail (and `beyond`, as StageIndexThrough) through `last` in
  // one write of its own.
  Status IndexThrough(uint64_t last, const std::vector<TailEntry>* beyond,
                      uint64_t beyond_first);
  // After the index through `last` is written.
  void NoteIndexed(uint64_t last, const std::map<ActorId, SeqRange>& ranges);
  Status StageDraft(Batch* batch, const ChangeDraft& draft, uint64_t start_op,
                    bool local, Hash* hash);
  // Rebuilds the tail (below) from the log after `indexed_through_`.
  Status LoadTail();
  // Adds to `writes` the index records and seq ranges of the tail through
  // `last`, and `indexed_through` = last; fills `ranges` with each actor's
  // last range then (for last_ranges_ once written). `beyond` (may be
  // null): the entries of the positions after the tail's, from
  // `beyond_first` on (a batch written, not yet in the tail).
  Status StageIndexThrough(storage::WriteBatch* writes, uint64_t last,
                           std::map<ActorId, SeqRange>* ranges,
                           const std::vector<TailEntry>* beyond = nullptr,
                           uint64_t beyond_first = 0) const;
  Status PositionOfSeqLocked(const ActorId& actor, uint64_t seq,
                             uint64_t* position) const;
  // Forgets a batch that will not be written.
  void AbandonBatch();
  // Stages the pending changes that `stored` completes, transitively.
  Status StageReadyPending(Batch* batch, const Hash& stored,
                           ReceiveOutcome* outcome);
  // Adds the final heads and actors entries, then writes atomically.
  Status WriteBatch(Batch* batch);
  // Visits the log from `first_position` on, hashing each entry's bytes.
  Status WalkLog(uint64_t first_position,
                 const std::function<bool(uint64_t, const Hash&,
                                          std::string_view)>& visit) const;
  // Reads and decodes the change at `position`, checking that the index
  // names it at that position; with `expected_hash`, it must be that change.
  Result<StoredChange> ReadAt(uint64_t position,
                              const Hash* expected_hash) const;
  Status MatchIndexed(const std::string& prefix, int trailing_nibble,
                      std::vector<Hash>* matches) const;

  storage::KvStore* const store_;
  const dag::AuthorKey* const author_;
  const Options options_;
  const Clock clock_;
  ChangeObserver* observer_ = nullptr;

  // Runs of the packed log decoded last (thread-safe on its own).
  mutable RunCache run_cache_;
  mutable std::mutex mutex_;  // guards everything below
  ActorId local_actor_;
  uint64_t log_length_ = 0;
  uint64_t max_op_ = 0;  // the largest op counter stored (lamport clock)
  std::unordered_map<Hash, IndexEntry, HashHasher> heads_;
  std::map<ActorId, ActorEntry> actors_;
  bool legacy_index_ = false;
  bool docs_before_rows_ = false;
  // The changes after `indexed_through_` have no index record nor seqs
  // range yet: the run that packs the kIndexedAtOnce-th of them writes
  // them all, in its batch, and a clean close the rest. Each record
  // appended to a bucket is an insert at a random key into a memtable,
  // about 3.5 us on the build machine: a commit of one edit paid 4 us for
  // it; in groups of 4096, a bucket takes 4 records at once. Until then
  // the tail finds them (at most kIndexedAtOnce + 2 * kPackedRunChanges,
  // about 1 MB), rebuilt from the log on open after a kill.
  static constexpr uint64_t kIndexedAtOnce = 4096;
  uint64_t indexed_through_ = 0;
  LogTail tail_;
  // Each actor's last seq range as stored, once read or written.
  std::map<ActorId, SeqRange> last_ranges_;
  // Heads and actors are written every kCheckpointEvery changes (and on
  // close), not with every commit: two keys less per commit, which cost a
  // sixth of a one-edit commit (doc_bench). The log is the truth; opening
  // replays the changes since `checkpoint_at_`.
  static constexpr uint64_t kCheckpointEvery = 256;
  uint64_t checkpoint_at_ = 0;

  // Changes through `packed_through_` are packed into runs of at most
  // kPackedRunChanges (engine/FORMAT.md, "Packed log"); later ones are
  // single entries. A commit that leaves 2 * kPackedRunChanges unpacked
  // packs one run (the kPackedRunChanges newest stay single, cheap to
  // read while they are recent); closing packs every whole run.
  // A read of one change inside a run rebuilds the run (about 2 us a
  // change): 256 keeps a cold read under a millisecond.
  static constexpr uint64_t kPackedRunChanges = 256;
  uint64_t packed_through_ = 0;
  // The last changes staged, from position `unpacked_from_` on (at most
  // 4 * kPackedRunChanges, and unpacked_bytes_kept_ of their bytes), so that
  // packing them needs not read and check them again.
  const size_t unpacked_bytes_kept_;  // a 64th of the memory budget
  std::deque<dag::RunChange> unpacked_;
  uint64_t unpacked_from_ = 0;
  size_t unpacked_bytes_ = 0;
  // Removes the oldest staged change from unpacked_ and returns it.
  dag::RunChange TakeOldestUnpacked();
  // Appends the change at `position` to unpacked_ (which starts again
  // there if it does not follow), dropping the oldest beyond the bounds.
  void KeepUnpacked(uint64_t position, dag::RunChange change);
  // Packs whole runs while more than `keep_single` changes would stay
  // unpacked. Each run is one atomic batch: stopping anywhere loses
  // nothing.
  Status PackLog(uint64_t keep_single);
  Status PackRun();

  std::set<ActorId> dirty_actors_;  // changed since the checkpoint
  PendingArea pending_;
};

}  // namespace weft::engine
