#include "engine/log/change_log.h"

#include <algorithm>
#include <cassert>

#include "dag/change_codec.h"
#include "dag/sha256.h"

namespace weft::engine {

using storage::Family;

Result<std::unique_ptr<ChangeLog>> ChangeLog::Open(storage::KvStore* store,
                                                   const Options& options,
                                                   const dag::AuthorKey* author,
                                                   Clock clock) {
  if (options.change_bytes_max == 0 ||
      options.change_bytes_max > limits::kChangeBytesCeiling) {
    return Status::InvalidArgument("change_bytes_max must be 1..64 MiB");
  }
  if (options.memory_budget_bytes < kMemoryBudgetMin) {
    return Status::InvalidArgument(
        "memory_budget_bytes must be at least 4 MiB");
  }
  std::unique_ptr<ChangeLog> log(
      new ChangeLog(store, options, author, std::move(clock)));
  std::string version;
  Status status = store->Get(Family::kMeta, kMetaFormatVersion, &version);
  if (status.IsNotFound()) {
    if (author == nullptr) {
      return Status::InvalidArgument("a new database needs its identity key");
    }
    WEFT_RETURN_IF_ERROR(log->Initialise(author->actor()));
  } else if (!status.ok()) {
    return status;
  } else if (version == "3" || version == "4") {
    return Status::NotSupported(
        "database format version " + version +
        " was written before signed authorship (format " +
        std::string(kFormatVersion) +
        "): its changes carry no proof of who wrote them, and this build "
        "refuses them (engine/FORMAT.md, \"Signed authorship\")");
  } else if (version == kFormatVersionBeforeRuns ||
             version == kFormatVersionBeforeCompactIndex) {
    // Every entry of a format-5 log is a single change, which format 7
    // reads too: only the index and seqs families are rebuilt (before the
    // log packs a run that a build of format 5 would not read).
    if (options.read_only) {
      log->legacy_index_ = true;
    } else {
      WEFT_RETURN_IF_ERROR(MoveToCompactIndex(store));
    }
    log->docs_before_rows_ = true;
  } else if (version == kFormatVersionBeforeRows) {
    log->docs_before_rows_ = true;  // the documents' side moves them
  } else if (version != kFormatVersion) {
    return Status::NotSupported("database format version " + version +
                                " (this build reads version " +
                                std::string(kFormatVersion) + ")");
  }
  std::lock_guard<std::mutex> lock(log->mutex_);
  WEFT_RETURN_IF_ERROR(log->LoadState());
  if (author != nullptr && author->actor() != log->local_actor_) {
    return Status::InvalidArgument(
        "the identity key names actor " + author->actor().ToHex() +
        ", not this database's actor " + log->local_actor_.ToHex() +
        ": it is another database's key");
  }
  return log;
}

ChangeLog::~ChangeLog() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (options_.read_only) return;
  PackLog(/*keep_single=*/0).PermitUncheckedError();  // the next close packs
  // The tail is indexed too, so that the next open has none to read.
  auto batch = store_->NewBatch();
  std::map<ActorId, SeqRange> ranges;
  if (!StageIndexThrough(batch.get(), log_length_, &ranges).ok()) {
    batch->Clear();  // the next open reads the tail, as after a crash
  }
  if (log_length_ != checkpoint_at_) StageCheckpoint(batch.get(), {});
  if (batch->Count() == 0) return;
  store_->Write(batch.get(), options_.sync).PermitUncheckedError();
}

Status ChangeLog::Initialise(const ActorId& actor) {
  // A store without a format version must be empty, or it is not ours.
  auto it = store_->NewIterator(Family::kLog);
  it->SeekToFirst();
  if (it->Valid()) {
    return Status::Corruption("not a weft database: log without a version");
  }
  auto batch = store_->NewBatch();
  batch->Put(Family::kMeta, kMetaFormatVersion, kFormatVersion);
  batch->Put(Family::kMeta, kMetaActor, actor.AsStringView());
  batch->Put(Family::kMeta, kMetaHeadsAt, EncodePosition(0));
  return store_->Write(batch.get(), /*sync=*/true);
}

Status ChangeLog::WalkStored(uint64_t first, const StoredVisitor& visit) const {
  const Batch no_batch;
  Status visited;
  Status walked = WalkLog(first, [&](uint64_t position, const Hash& hash,
                                     std::string_view bytes) {
    Result<Change> change = dag::DecodeChange(bytes, options_.change_bytes_max);
    if (!change.ok()) {
      visited = Status::Corruption(
          "log position " + std::to_string(position) + " does not decode",
          change.status().ToString());
      return false;
    }
    uint64_t height = 1;
    for (const Hash& parent : change->parents) {
      IndexEntry parent_entry;
      visited = LookupIndex(parent, no_batch, &parent_entry);
      if (!visited.ok()) return false;
      height = std::max(height, parent_entry.height + 1);
    }
    visited = visit(position, hash, *change, height);
    return visited.ok();
  });
  return walked.ok() ? visited : walked;
}

Status ChangeLog::LoadState() {
  std::string actor;
  WEFT_RETURN_IF_ERROR(store_->Get(Family::kMeta, kMetaActor, &actor));
  if (actor.size() != ActorId::kSize) {
    return Status::Corruption("meta: local actor id is not 16 bytes");
  }
  local_actor_ = ActorId::FromBytes(actor);

  log_length_ = 0;
  auto it = store_->NewIterator(Family::kLog);
  it->SeekToLast();
  if (it->Valid() && !DecodePosition(it->key(), &log_length_)) {
    return Status::Corruption("log: key is not a position");
  }
  WEFT_RETURN_IF_ERROR(it->status());

  actors_.clear();
  dirty_actors_.clear();
  max_op_ = 0;
  it = store_->NewIterator(Family::kActors);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ActorEntry entry;
    if (it->key().size() != ActorId::kSize ||
        !DecodeActorEntry(it->value(), &entry)) {
      return Status::Corruption("actors: malformed entry");
    }
    actors_[ActorId::FromBytes(it->key())] = entry;
    max_op_ = std::max(max_op_, entry.end_op);
  }
  WEFT_RETURN_IF_ERROR(it->status());

  last_ranges_.clear();
  packed_through_ = 0;
  unpacked_.clear();
  unpacked_bytes_ = 0;
  std::string packed_through;
  Status packed =
      store_->Get(Family::kMeta, kMetaPackedThrough, &packed_through);
  if (!packed.IsNotFound()) {
    WEFT_RETURN_IF_ERROR(packed);
    if (!DecodePosition(packed_through, &packed_through_) ||
        packed_through_ > log_length_) {
      return Status::Corruption("meta: packed_through is not a position");
    }
  }

  heads_.clear();
  std::string heads;
  Status status = store_->Get(Family::kMeta, kMetaHeads, &heads);
  if (!status.IsNotFound()) {
    WEFT_RETURN_IF_ERROR(status);
    std::vector<HeadEntry> entries;
    if (!DecodeHeads(heads, &entries)) {
      return Status::Corruption("meta: malformed heads");
    }
    for (const HeadEntry& head : entries) heads_[head.hash] = head.entry;
  }

  // Without `heads_at` (format 3), heads and actors are current.
  std::string heads_at;
  checkpoint_at_ = log_length_;
  status = store_->Get(Family::kMeta, kMetaHeadsAt, &heads_at);
  if (!status.IsNotFound()) {
    WEFT_RETURN_IF_ERROR(status);
    if (!DecodePosition(heads_at, &checkpoint_at_) ||
        checkpoint_at_ > log_length_) {
      return Status::Corruption("meta: heads_at is not a position in the log");
    }
  }
  indexed_through_ = log_length_;  // formats 5 and 6 index every change
  if (!legacy_index_) {
    std::string indexed_through;
    status = store_->Get(Family::kMeta, kMetaIndexedThrough, &indexed_through);
    indexed_through_ = 0;
    if (!status.IsNotFound()) {
      WEFT_RETURN_IF_ERROR(status);
      if (!DecodePosition(indexed_through, &indexed_through_) ||
          indexed_through_ > log_length_) {
        return Status::Corruption("meta: indexed_through is not a position");
      }
    }
  }
  WEFT_RETURN_IF_ERROR(LoadTail());
  return ReplayTail(checkpoint_at_);
}

Status ChangeLog::ReplayTail(uint64_t heads_at) {
  return WalkStored(heads_at + 1, [&](uint64_t position, const Hash& hash,
                                      const Change& change, uint64_t height) {
    for (const Hash& parent : change.parents) heads_.erase(parent);
    heads_[hash] = IndexEntry{position, height, change.EndOp()};
    actors_[change.actor] = NextAuthorEntry(change, hash, change.EndOp());
    dirty_actors_.insert(change.actor);
    max_op_ = std::max(max_op_, change.EndOp());
    return Status::OK();
  });
}

void ChangeLog::StageCheckpoint(storage::WriteBatch* writes,
                                const std::vector<ActorId>& touched) {
  std::vector<HeadEntry> heads;
  heads.reserve(heads_.size());
  for (const auto& [hash, entry] : heads_) heads.push_back({hash, entry});
  std::sort(
      heads.begin(), heads.end(),
      [](const HeadEntry& a, const HeadEntry& b) { return a.hash < b.hash; });
  writes->Put(Family::kMeta, kMetaHeads, EncodeHeads(heads));
  writes->Put(Family::kMeta, kMetaHeadsAt, EncodePosition(log_length_));
  dirty_actors_.insert(touched.begin(), touched.end());
  for (const ActorId& actor : dirty_actors_) {
    writes->Put(Family::kActors, actor.AsStringView(),
                EncodeActorEntry(actors_.at(actor)));
  }
}

Status ChangeLog::CheckChange(const Batch& batch, const Change& change,
                              IndexEntry* entry) const {
  uint64_t height = 1;
  uint64_t parents_end_op = 0;
  for (const Hash& parent : change.parents) {
    IndexEntry parent_entry;
    Status status = LookupIndex(parent, batch, &parent_entry);
    if (status.IsNotFound()) {
      return Status::InvalidArgument("parent is not stored", parent.ToHex());
    }
    WEFT_RETURN_IF_ERROR(status);
    height = std::max(height, parent_entry.height + 1);
    parents_end_op = std::max(parents_end_op, parent_entry.end_op);
  }
  if (change.start_op <= parents_end_op) {
    return Status::InvalidArgument(
        "op counters do not follow the parents' (start_op " +
        std::to_string(change.start_op) +
        " <= " + std::to_string(parents_end_op) + ")");
  }
  if (change.start_op - parents_end_op > limits::kOpCounterGapMax) {
    return Status::InvalidArgument(
        "op counters jump past the parents' (start_op " +
        std::to_string(change.start_op) + ", parents end at " +
        std::to_string(parents_end_op) + "; at most " +
        std::to_string(limits::kOpCounterGapMax) + " later)");
  }
  auto actor = actors_.find(change.actor);
  uint64_t last_seq = actor == actors_.end() ? 0 : actor->second.seq;
  if (change.seq <= last_seq) {
    return Status::InvalidArgument("seq " + std::to_string(change.seq) +
                                   " of actor " + change.actor.ToHex() +
                                   " is already stored as another change " +
                                   "(equivocation)");
  }
  if (change.seq != last_seq + 1) {
    return Status::InvalidArgument("seq gap for actor " + change.actor.ToHex() +
                                   ": got " + std::to_string(change.seq) +
                                   ", expected " +
                                   std::to_string(last_seq + 1));
  }
  if (actor != actors_.end() && change.start_op <= actor->second.end_op) {
    return Status::InvalidArgument("op counters go backwards for actor",
                                   change.actor.ToHex());
  }
  *entry = IndexEntry{log_length_ + 1, height, change.EndOp()};
  return Status::OK();
}

// Only this replica writes under its actor: a received change that claims
// it (and is not already stored) is forged, or comes from a copy of this
// database; storing it would make the next local commit reuse or skip a
// seq. Until authorship is signed this is the one check a peer cannot
// bypass by claiming our id.
Status ChangeLog::RefuseOwnActor(const Change& change) const {
  if (change.actor != local_actor_) return Status::OK();
  return Status::InvalidArgument(
      "a received change claims this replica's own actor " +
      change.actor.ToHex() + " (seq " + std::to_string(change.seq) +
      "); only this replica writes under it");
}

ActorEntry ChangeLog::NextAuthorEntry(const Change& change, const Hash& hash,
                                      uint64_t end_op) const {
  ActorEntry next{change.seq, hash, end_op, Hash(), change.author_key};
  if (auto known = actors_.find(change.actor); known != actors_.end()) {
    next.chain = known->second.chain;
    if (change.seq != 1) next.key = known->second.key;
  }
  next.chain = dag::ExtendChain(next.chain, hash);
  return next;
}

namespace {

Status NotAsSigned(const ActorId& actor, uint64_t seq) {
  return Status::InvalidArgument(
      "the proof of authorship of actor " + actor.ToHex() + " at seq " +
      std::to_string(seq) +
      " does not verify: the changes are not that actor's as signed");
}

}  // namespace

void ChangeLog::StageProof(Batch* batch, const ActorId& actor, uint64_t seq,
                           std::string_view value) const {
  batch->writes->Put(Family::kMeta, EncodeProofKey(actor, seq), value);
  batch->proofs_written.insert({actor, seq});
}

Status ChangeLog::CheckOfferedProof(Batch* batch, const Change& change,
                                    const ActorEntry& author) const {
  auto offered = batch->offered.find({change.actor, change.seq});
  if (offered != batch->offered.end()) {
    const dag::AuthorshipProof& proof = offered->second;
    if (!dag::VerifyAuthorship(author.key, change.actor, change.seq,
                               author.chain, proof.signature)) {
      return NotAsSigned(change.actor, change.seq);
    }
    StageProof(batch, change.actor, change.seq, proof.signature);
    batch->proven[change.actor] = change.seq;
  }
  batch->remote_first.emplace(change.actor, change.seq);
  batch->remote_last[change.actor] = change.seq;
  return Status::OK();
}

Status ChangeLog::OfferProofs(Batch* batch,
                              const std::vector<dag::AuthorshipProof>& proofs) {
  for (const dag::AuthorshipProof& proof : proofs) {
    auto [at, added] =
        batch->offered.emplace(std::make_pair(proof.actor, proof.seq), proof);
    if (!added && at->second.signature != proof.signature) {
      return Status::InvalidArgument("two different proofs of actor " +
                                     proof.actor.ToHex() + " seq " +
                                     std::to_string(proof.seq));
    }
  }
  return Status::OK();
}

// Every remote actor of the batch must end at a proof: one verified at its
// last seq, or one for a later seq whose tail carries the hashes between.
Status ChangeLog::CheckCovers(Batch* batch) const {
  for (const auto& [actor, last] : batch->remote_last) {
    auto proven = batch->proven.find(actor);
    if (proven != batch->proven.end() && proven->second == last) continue;
    WEFT_RETURN_IF_ERROR(CheckCover(batch, actor, last));
  }
  for (const auto& [actor, first] : batch->remote_first) {
    WEFT_RETURN_IF_ERROR(DropStaleProofs(batch, actor, first));
  }
  return Status::OK();
}

// A proof stored past what was stored of its actor vouched, with its
// tail, for changes that had not arrived. Those that arrived now are
// vouched for by the proofs just staged; an older one that is not among
// them may vouch for another branch (its actor signed two: a copy of its
// database wrote on), and a cover built from it would not verify.
Status ChangeLog::DropStaleProofs(Batch* batch, const ActorId& actor,
                                  uint64_t first) const {
  auto it = store_->NewIterator(Family::kMeta);
  for (it->Seek(EncodeProofKey(actor, first)); it->Valid(); it->Next()) {
    ActorId of;
    uint64_t seq;
    if (!DecodeProofKey(it->key(), &of, &seq) || of != actor) break;
    if (batch->proofs_written.count({actor, seq}) == 0) {
      batch->writes->Delete(Family::kMeta, it->key());
    }
  }
  return it->status();
}

Status ChangeLog::CheckCover(Batch* batch, const ActorId& actor,
                             uint64_t last) const {
  const ActorEntry& entry = actors_.at(actor);
  for (auto cover = batch->offered.upper_bound({actor, last});
       cover != batch->offered.end() && cover->first.first == actor; ++cover) {
    const dag::AuthorshipProof& proof = cover->second;
    uint64_t beyond = proof.seq - last;  // hashes needed from the tail
    if (proof.tail.size() < beyond) continue;
    Hash chain = entry.chain;
    std::vector<Hash> tail(proof.tail.end() - beyond, proof.tail.end());
    for (const Hash& hash : tail) chain = dag::ExtendChain(chain, hash);
    if (!dag::VerifyAuthorship(entry.key, actor, proof.seq, chain,
                               proof.signature)) {
      return NotAsSigned(actor, proof.seq);
    }
    std::string value = proof.signature;
    for (const Hash& hash : tail) value.append(hash.AsStringView());
    StageProof(batch, actor, proof.seq, value);
    return Status::OK();
  }
  return Status::InvalidArgument(
      "the changes of actor " + actor.ToHex() + " up to seq " +
      std::to_string(last) +
      " come without a proof of authorship (a signature of that actor "
      "covering them)");
}

Status ChangeLog::StageChange(Batch* batch, const Hash& hash,
                              std::string_view bytes, const Change& change,
                              bool local, bool* fatal,
                              const dag::RunChange* received) {
  *fatal = false;
  IndexEntry entry;
  WEFT_RETURN_IF_ERROR(CheckChange(*batch, change, &entry));
  ActorEntry author = NextAuthorEntry(change, hash, entry.end_op);
  storage::WriteBatch* writes = batch->writes.get();
  if (change.actor != local_actor_) {
    WEFT_RETURN_IF_ERROR(CheckOfferedProof(batch, change, author));
  } else if (change.seq % kProofEvery == 0 && author_ != nullptr) {
    writes->Put(Family::kMeta, EncodeProofKey(change.actor, change.seq),
                author_->Sign(change.seq, author.chain));
  }
  // Every check passed: from here on the batch is committed to this change.
  ++log_length_;
  bool bulk = batch->bulk && received != nullptr;
  if (bulk) {
    batch->received.push_back(received);  // StageBulkRuns writes it
  } else {
    writes->Put(Family::kLog, EncodePosition(entry.position), bytes);
  }
  batch->tail.push_back(
      TailEntry{hash, entry.height, entry.end_op, change.actor, change.seq});
  for (const Hash& parent : change.parents) {
    heads_.erase(parent);
  }
  heads_[hash] = entry;
  actors_[change.actor] = std::move(author);
  batch->touched_actors.push_back(change.actor);
  max_op_ = std::max(max_op_, entry.end_op);
  batch->staged[hash] = entry;
  // Kept for the packing of its run: every change staged is canonical
  // (made by EncodeChange, or checked so when received). A bulk batch's
  // are kept once it is written.
  if (!bulk) {
    KeepUnpacked(entry.position,
                 dag::RunChange{hash, std::string(bytes), change});
  }
  if (observer_ != nullptr) {
    Status status =
        observer_->OnStage(hash, bytes, change, entry.position, local, writes);
    if (!status.ok()) {
      *fatal = true;
      return status;
    }
  }
  return Status::OK();
}

Status ChangeLog::StageDraft(Batch* batch, const ChangeDraft& draft,
                             uint64_t start_op, bool local, Hash* hash) {
  Change change;
  change.parents.reserve(heads_.size());
  for (const auto& [head, entry] : heads_) change.parents.push_back(head);
  std::sort(change.parents.begin(), change.parents.end());
  change.actor = local_actor_;
  auto actor = actors_.find(local_actor_);
  change.seq = (actor == actors_.end() ? 0 : actor->second.seq) + 1;
  if (change.seq == 1) {
    if (author_ == nullptr) {
      return Status::InvalidArgument("no identity key to sign with");
    }
    change.author_key = author_->public_key();
  }
  change.start_op = start_op;
  change.time_ms = clock_();
  change.message = draft.message;
  change.docs = draft.docs;
  change.ops = draft.ops;
  WEFT_RETURN_IF_ERROR(dag::ValidateChange(change));
  dag::EncodedChange encoded = dag::EncodeChange(change);
  if (encoded.bytes.size() > options_.change_bytes_max) {
    return Status::InvalidArgument("change is " +
                                   std::to_string(encoded.bytes.size()) +
                                   " bytes, over the limit of " +
                                   std::to_string(options_.change_bytes_max));
  }
  *hash = encoded.hash;
  bool fatal;
  return StageChange(batch, encoded.hash, encoded.bytes, change, local, &fatal);
}

Result<uint64_t> ChangeLog::ReceiveAll(
    const std::vector<dag::RunChange>& changes,
    const std::vector<dag::AuthorshipProof>& proofs,
    const std::vector<Hash>& heads,
    const std::function<void(uint64_t, uint64_t)>& progress) {
  std::lock_guard<std::mutex> lock(mutex_);
  Batch batch;
  batch.writes = store_->NewBatch();
  batch.bulk = true;
  batch.staged.reserve(changes.size());
  batch.received.reserve(changes.size());
  batch.tail.reserve(changes.size());
  WEFT_RETURN_IF_ERROR(OfferProofs(&batch, proofs));
  uint64_t stored = 0;
  auto reject = [&](Status status) {
    if (!batch.staged.empty()) AbandonBatch();
    return status;
  };
  for (size_t change_idx = 0; change_idx < changes.size(); ++change_idx) {
    const std::string& bytes = changes[change_idx].bytes;
    const Hash& hash = changes[change_idx].hash;
    const Change* change = &changes[change_idx].change;
    constexpr size_t kProgressEvery = 4096;  // changes between reports
    if (progress && change_idx % kProgressEvery == 0) {
      progress(change_idx, changes.size());
    }
    auto at = [&] {
      return "change " + std::to_string(change_idx + 1) + " of " +
             std::to_string(changes.size());
    };
    if (bytes.size() > options_.change_bytes_max) {
      return reject(Status::InvalidArgument(at(), "over the size limit"));
    }
    // A replica holds exactly seqs 1..last of each actor: a higher seq is
    // new without a lookup (a clone then reads no index at all); a lower
    // one is already here if its hash is (else it is an equivocation, which
    // StageChange reports).
    auto actor = actors_.find(change->actor);
    if (actor != actors_.end() && change->seq <= actor->second.seq) {
      IndexEntry known;
      if (LookupIndex(hash, batch, &known).ok()) continue;  // idempotent
    }
    bool fatal;
    Status status = RefuseOwnActor(*change);
    if (status.ok()) {
      status = StageChange(&batch, hash, bytes, *change, /*local=*/false,
                           &fatal, &changes[change_idx]);
    }
    if (!status.ok()) {
      return reject(Status::InvalidArgument(at() + " (" + hash.Short() + ")",
                                            status.ToString()));
    }
    ++stored;
  }
  if (progress) progress(changes.size(), changes.size());
  for (const Hash& head : heads) {
    IndexEntry entry;
    if (!LookupIndex(head, batch, &entry).ok()) {
      return reject(
          Status::Corruption("a head is not among the changes", head.ToHex()));
    }
  }
  if (stored == 0) return stored;
  Status covered = CheckCovers(&batch);
  if (!covered.ok()) return reject(covered);
  StageBulkRuns(&batch);
  WEFT_RETURN_IF_ERROR(WriteBatch(&batch));
  return stored;
}

void ChangeLog::AbandonBatch() {
  LoadState().PermitUncheckedError();  // the store is unchanged: reload it
  if (observer_ != nullptr) observer_->OnAbort();
}

Result<std::vector<Hash>> ChangeLog::Commit(
    const std::vector<ChangeDraft>& drafts) {
  std::lock_guard<std::mutex> lock(mutex_);
  Batch batch;
  batch.writes = store_->NewBatch();
  std::vector<Hash> hashes(drafts.size());
  for (size_t draft_idx = 0; draft_idx < drafts.size(); ++draft_idx) {
    Status status = StageDraft(&batch, drafts[draft_idx], max_op_ + 1,
                               /*local=*/false, &hashes[draft_idx]);
    if (!status.ok()) {
      if (!batch.staged.empty()) AbandonBatch();
      return status;
    }
  }
  WEFT_RETURN_IF_ERROR(WriteBatch(&batch));
  return hashes;
}

Result<Hash> ChangeLog::LookupIdempotencyKey(const std::string& key) const {
  std::string value;
  WEFT_RETURN_IF_ERROR(
      store_->Get(Family::kMeta, std::string(kMetaIdempotency) + key, &value));
  if (value.size() != Hash::kSize) {
    return Status::Corruption("meta: malformed idempotency record");
  }
  return Hash::FromBytes(value);
}

Result<Hash> ChangeLog::CommitPrepared(const ChangeDraft& draft,
                                       uint64_t start_op,
                                       const std::vector<Hash>* expected_heads,
                                       const std::string* idempotency_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (expected_heads != nullptr) {
    std::vector<Hash> expected = *expected_heads;
    std::sort(expected.begin(), expected.end());
    std::vector<Hash> current;
    for (const auto& [head, entry] : heads_) current.push_back(head);
    std::sort(current.begin(), current.end());
    if (expected != current) {
      return Status::Conflict("the heads moved since the expected heads");
    }
  }
  Batch batch;
  batch.writes = store_->NewBatch();
  Hash hash;
  Status status = StageDraft(&batch, draft, start_op, /*local=*/true, &hash);
  if (!status.ok()) {
    if (!batch.staged.empty()) AbandonBatch();
    return status;
  }
  if (idempotency_key != nullptr) {
    batch.writes->Put(Family::kMeta,
                      std::string(kMetaIdempotency) + *idempotency_key,
                      hash.AsStringView());
  }
  WEFT_RETURN_IF_ERROR(WriteBatch(&batch));
  return hash;
}

uint64_t ChangeLog::NextOpCounter() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return max_op_ + 1;
}

Result<ReceiveOutcome> ChangeLog::Receive(
    const Hash* claimed_hash, std::string_view bytes,
    const std::vector<dag::AuthorshipProof>& proofs) {
  if (bytes.size() > options_.change_bytes_max) {
    return Status::InvalidArgument("change is " + std::to_string(bytes.size()) +
                                   " bytes, over the limit of " +
                                   std::to_string(options_.change_bytes_max));
  }
  ReceiveOutcome outcome;
  outcome.hash = dag::Sha256(bytes);
  if (claimed_hash != nullptr && *claimed_hash != outcome.hash) {
    return Status::Corruption("change bytes hash to " + outcome.hash.ToHex() +
                              ", not to the claimed " + claimed_hash->ToHex());
  }
  WEFT_ASSIGN_OR_RETURN(Change change, dag::DecodeCanonicalChange(
                                           bytes, options_.change_bytes_max));

  std::lock_guard<std::mutex> lock(mutex_);
  if (IsStored(outcome.hash)) {
    return Status::AlreadyExists("change is already stored",
                                 outcome.hash.ToHex());
  }
  if (pending_.Contains(outcome.hash)) {
    return Status::AlreadyExists("change is already pending",
                                 outcome.hash.ToHex());
  }
  WEFT_RETURN_IF_ERROR(RefuseOwnActor(change));
  std::vector<Hash> missing;
  for (const Hash& parent : change.parents) {
    if (!IsStored(parent)) missing.push_back(parent);
  }
  if (!missing.empty()) {
    WEFT_RETURN_IF_ERROR(
        pending_.Add(PendingChange{outcome.hash, std::string(bytes),
                                   std::move(change), proofs},
                     missing));
    return outcome;
  }
  Batch batch;
  batch.writes = store_->NewBatch();
  WEFT_RETURN_IF_ERROR(OfferProofs(&batch, proofs));
  bool fatal;
  Status status = StageChange(&batch, outcome.hash, bytes, change,
                              /*local=*/false, &fatal);
  if (status.ok()) status = StageReadyPending(&batch, outcome.hash, &outcome);
  if (status.ok()) status = CheckCovers(&batch);
  if (!status.ok()) {
    if (!batch.staged.empty()) AbandonBatch();
    return status;
  }
  outcome.stored = true;
  outcome.stored_count += 1;
  WEFT_RETURN_IF_ERROR(WriteBatch(&batch));
  return outcome;
}

Status ChangeLog::StageReadyPending(Batch* batch, const Hash& stored,
                                    ReceiveOutcome* outcome) {
  std::vector<Hash> completed{stored};
  for (size_t done_idx = 0; done_idx < completed.size(); ++done_idx) {
    std::vector<PendingChange> ready;
    pending_.MarkStored(completed[done_idx], &ready);
    for (PendingChange& pending : ready) {
      WEFT_RETURN_IF_ERROR(OfferProofs(batch, pending.proofs));
      bool fatal;
      Status status = StageChange(batch, pending.hash, pending.bytes,
                                  pending.change, /*local=*/false, &fatal);
      if (fatal) return status;
      if (!status.ok()) {
        // Its descendants can never be stored either: drop them too.
        if (outcome->rejected_count == 0) {
          outcome->first_rejection =
              pending.hash.ToHex() + ": " + status.ToString();
        }
        outcome->rejected_count += 1 + pending_.DropWaitersOf(pending.hash);
        continue;
      }
      ++outcome->stored_count;
      completed.push_back(pending.hash);
    }
  }
  return Status::OK();
}

Status ChangeLog::WriteBatch(Batch* batch) {
  storage::WriteBatch* writes = batch->writes.get();
  bool checkpoint = log_length_ - checkpoint_at_ >= kCheckpointEvery;
  if (checkpoint) StageCheckpoint(writes, batch->touched_actors);
  if (observer_ != nullptr) {
    Status staged = observer_->OnBatchStaged(writes);
    if (!staged.ok()) {
      AbandonBatch();
      return staged;
    }
  }
  Status status = store_->Write(batch->writes.get(), options_.sync);
  if (!status.ok()) {
    AbandonBatch();
    return status;
  }
  // A bulk batch packed into runs is indexed at once, from its own entries
  // (adding them to the tail to drop them again cost a tenth of an import).
  uint64_t first = log_length_ - batch->tail.size() + 1;
  if (batch->bulk) {
    NoteBulkWritten(*batch);
    if (packed_through_ >= indexed_through_ + kIndexedAtOnce) {
      // The batch is stored; what is not indexed now stays in the tail.
      IndexThrough(packed_through_, &batch->tail, first).PermitUncheckedError();
    }
  }
  for (size_t entry_idx = 0; entry_idx < batch->tail.size(); ++entry_idx) {
    if (first + entry_idx > indexed_through_) {
      tail_.Add(batch->tail[entry_idx]);
    }
  }
  if (checkpoint) {
    checkpoint_at_ = log_length_;
    dirty_actors_.clear();
  } else {
    dirty_actors_.insert(batch->touched_actors.begin(),
                         batch->touched_actors.end());
  }
  if (observer_ != nullptr) observer_->OnWritten();
  if (log_length_ - packed_through_ >= 2 * kPackedRunChanges) {
    // The commit is stored; a failed packing is tried again later.
    PackLog(kPackedRunChanges).PermitUncheckedError();
  }
  return status;
}

}  // namespace weft::engine
