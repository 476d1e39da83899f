// ChangeLog::Verify: re-derives everything the log proves and compares it
// with what is stored. Reports problems; repairs nothing.
#include <optional>
#include <set>

#include "dag/authorship.h"
#include "dag/change_codec.h"
#include "dag/sha256.h"
#include "engine/log/change_log.h"
#include "engine/log/log_entries.h"
#include "engine/log/log_index.h"

namespace weft::engine {
namespace {

using storage::Family;

// Counts the keys of one family.
Result<uint64_t> CountKeys(storage::KvStore* store, Family family) {
  uint64_t count = 0;
  auto it = store->NewIterator(family);
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  WEFT_RETURN_IF_ERROR(it->status());
  return count;
}

// Visits every index entry: of formats 5 and 6 with its hash, of format
// 7 with its record and bucket key. A malformed one is a problem.
Status ReadIndex(
    storage::KvStore* store, bool legacy,
    const std::function<void(uint64_t, const Hash*, const IndexRecord*,
                             std::string_view)>& visit,
    std::vector<std::string>* problems) {
  auto it = store->NewIterator(Family::kIndex);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (legacy) {
      IndexEntry entry;
      if (it->key().size() != Hash::kSize ||
          !DecodeIndexEntry(it->value(), &entry)) {
        problems->push_back("index: malformed entry");
        continue;
      }
      Hash hash = Hash::FromBytes(it->key());
      visit(entry.position, &hash, nullptr, it->key());
      continue;
    }
    std::vector<IndexRecord> records;
    if (it->key().size() != 2 ||
        static_cast<uint8_t>(it->key()[0]) >> (kIndexBucketBits - 8) != 0 ||
        !DecodeIndexBucket(it->value(), &records)) {
      problems->push_back("index: malformed bucket");
      continue;
    }
    for (const IndexRecord& record : records) {
      visit(record.position, nullptr, &record, it->key());
    }
  }
  return it->status();
}

// Checks that the seqs family maps each actor's seq to the position the
// log holds it at (`authors`: each position's actor and seq); returns how
// many seqs it maps.
Result<uint64_t> CheckSeqs(
    storage::KvStore* store, bool legacy,
    const std::vector<std::pair<ActorId, uint64_t>>& authors,
    std::vector<std::string>* problems) {
  if (legacy) return CountKeys(store, Family::kSeqs);
  uint64_t seqs = 0;
  bool reported = false;
  auto it = store->NewIterator(Family::kSeqs);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ActorId actor;
    SeqRange range;
    if (!DecodeSeqRange(it->key(), it->value(), &actor, &range)) {
      problems->push_back("seqs: malformed range");
      continue;
    }
    seqs += range.count;
    for (uint64_t seq = range.first_seq;
         !reported && seq - range.first_seq < range.count; ++seq) {
      uint64_t position = range.PositionOf(seq);
      if (position <= authors.size() && authors[position - 1].second == 0) {
        continue;  // a change that could not be read (reported)
      }
      if (position > authors.size() ||
          authors[position - 1] != std::make_pair(actor, seq)) {
        problems->push_back("seqs: actor " + actor.ToHex() + " seq " +
                            std::to_string(seq) +
                            " is not at the log position they name (" +
                            std::to_string(position) + ")");
        reported = true;  // one is enough: the rest would repeat it
      }
    }
  }
  WEFT_RETURN_IF_ERROR(it->status());
  return seqs;
}

// Heads and actors as the log implies them at one position.
struct HeadsAndActors {
  std::set<Hash> heads;
  std::map<ActorId, ActorEntry> actors;
};

// What the log implies, rebuilt entry by entry.
struct Derived : HeadsAndActors {
  // False once a change could not be read: heads and actors are then
  // unknown, and comparing them would only repeat that one problem.
  bool complete = true;
  // Every change met: its log position and last op counter.
  struct Seen {
    uint64_t position = 0;
    uint64_t end_op = 0;
    uint64_t height = 0;
  };
  std::unordered_map<Hash, Seen, HashHasher> seen;
  // The stored proofs of authorship, by (actor, seq): signature || tail.
  std::map<std::pair<ActorId, uint64_t>, std::string> proofs;
  uint64_t proofs_checked = 0;
  uint64_t max_op = 0;
  uint64_t touches = 0;  // (change, document) pairs
  // Each position's actor and seq (index position - 1), for the seqs;
  // seq 0 where the change could not be read.
  std::vector<std::pair<ActorId, uint64_t>> authors;
  // Positions whose bytes do not hash to what the index records there
  // (format 7: its 26 bits), with the recorded height: children that name
  // such a change name a damage already reported.
  struct Damaged {
    uint64_t position = 0;
    uint64_t height = 0;
  };
  std::unordered_map<uint32_t, Damaged> damaged;
};

// How the index names a log position: not at all, by the hash of its
// bytes, or by another hash (`hash` when the index holds whole hashes).
struct IndexNaming {
  enum Kind { kNothing, kThis, kAnother } kind = kNothing;
  const Hash* hash = nullptr;
};

// The op counters a received change claims are bounded by its parents'
// (ChangeLog::CheckChange): a database stored before that bound may hold a
// change that leaves no room for later commits.
void CheckOpCounters(const std::string& at, const Change& change,
                     uint64_t parents_end_op,
                     std::vector<std::string>* problems) {
  if (change.start_op <= parents_end_op) {
    problems->push_back(at + "op counters do not follow its parents'");
  } else if (change.start_op - parents_end_op > limits::kOpCounterGapMax) {
    problems->push_back(at + "op counters jump " +
                        std::to_string(change.start_op - parents_end_op) +
                        " past its parents' (at most " +
                        std::to_string(limits::kOpCounterGapMax) + ")");
  }
}

void CheckProof(const ActorId& actor, uint64_t seq, const ActorEntry& entry,
                std::string_view value, uint64_t beyond, Derived* derived,
                std::vector<std::string>* problems);

// `actual` is the hash of `bytes`.
void CheckEntry(uint64_t position, const Hash& actual, IndexNaming naming,
                std::string_view bytes, Derived* derived,
                std::vector<std::string>* problems) {
  if (naming.kind == IndexNaming::kAnother && naming.hash == nullptr) {
    problems->push_back("log position " + std::to_string(position) +
                        ": bytes do not hash to their key");
    derived->complete = false;
    return;
  }
  const Hash& hash = naming.hash != nullptr ? *naming.hash : actual;
  std::string at =
      "log position " + std::to_string(position) + " (" + hash.Short() + "): ";
  // Its children may name it even if its bytes are bad.
  auto [seen, first] = derived->seen.emplace(hash, Derived::Seen{position, 0});
  if (!first) problems->push_back(at + "change appears twice in the log");
  Result<Change> change = Status::NotFound("");
  if (naming.kind == IndexNaming::kNothing) {
    problems->push_back(at + "no index entry names this position");
  } else if (naming.kind == IndexNaming::kAnother) {
    problems->push_back(at + "bytes do not hash to their key");
  } else if (change = dag::DecodeChange(bytes); !change.ok()) {
    problems->push_back(at + "does not decode: " + change.status().message());
  }
  if (!change.ok()) {
    derived->complete = false;
    return;
  }
  uint64_t parents_end_op = 0;
  uint64_t height = 1;
  for (const Hash& parent : change->parents) {
    auto earlier = derived->seen.find(parent);
    auto damaged = derived->damaged.find(IndexedBits(parent));
    if (earlier == derived->seen.end() && damaged != derived->damaged.end() &&
        damaged->second.position < position) {
      height = std::max(height, damaged->second.height + 1);
    } else if (earlier == derived->seen.end() ||
               earlier->second.position >= position) {
      problems->push_back(at + "parent " + parent.Short() +
                          " is not earlier in the log (closure broken)");
    } else {
      parents_end_op = std::max(parents_end_op, earlier->second.end_op);
      height = std::max(height, earlier->second.height + 1);
    }
    derived->heads.erase(parent);
  }
  derived->heads.insert(hash);
  CheckOpCounters(at, *change, parents_end_op, problems);
  seen->second.end_op = change->EndOp();
  seen->second.height = height;
  if (derived->authors.size() < position) derived->authors.resize(position);
  derived->authors[position - 1] = {change->actor, change->seq};
  derived->max_op = std::max(derived->max_op, change->EndOp());
  derived->touches += change->docs.size();
  ActorEntry& actor = derived->actors[change->actor];
  if (change->seq != actor.seq + 1) {
    problems->push_back(at + "seq " + std::to_string(change->seq) +
                        " does not follow " + std::to_string(actor.seq));
  }
  actor = ActorEntry{change->seq, hash, change->EndOp(),
                     dag::ExtendChain(actor.chain, hash),
                     change->seq == 1 ? change->author_key : actor.key};
  auto proof = derived->proofs.find({change->actor, change->seq});
  if (proof != derived->proofs.end()) {
    CheckProof(change->actor, change->seq, actor, proof->second, 0, derived,
               problems);
  }
}

// The stored proof of `actor` at `seq`, `beyond` seqs past `entry` (whose
// hashes its tail must then hold).
void CheckProof(const ActorId& actor, uint64_t seq, const ActorEntry& entry,
                std::string_view value, uint64_t beyond, Derived* derived,
                std::vector<std::string>* problems) {
  std::string at = "proof of actor " + actor.ToHex() + " at seq " +
                   std::to_string(seq) + ": ";
  ++derived->proofs_checked;
  if (value.size() < dag::kSignatureSize ||
      (value.size() - dag::kSignatureSize) / Hash::kSize < beyond ||
      (value.size() - dag::kSignatureSize) % Hash::kSize != 0) {
    problems->push_back(at + "malformed");
    return;
  }
  Hash chain = entry.chain;
  std::string_view tail = value.substr(value.size() - beyond * Hash::kSize);
  for (; !tail.empty(); tail.remove_prefix(Hash::kSize)) {
    chain =
        dag::ExtendChain(chain, Hash::FromBytes(tail.substr(0, Hash::kSize)));
  }
  if (!dag::VerifyAuthorship(entry.key, actor, seq, chain,
                             value.substr(0, dag::kSignatureSize))) {
    problems->push_back(at + "the signature does not verify");
  }
}

// Every stored proof beyond an actor's last change, and that every actor
// but this replica's own ends at a proof.
void CheckProofsBeyond(const ActorId& local, Derived* derived,
                       std::vector<std::string>* problems) {
  std::map<ActorId, uint64_t> covered;  // actor -> highest proof seq
  for (const auto& [key, value] : derived->proofs) {
    const auto& [actor, seq] = key;
    covered[actor] = std::max(covered[actor], seq);
    auto entry = derived->actors.find(actor);
    if (entry == derived->actors.end()) {
      problems->push_back("proof of actor " + actor.ToHex() +
                          ": no change of that actor is stored");
    } else if (seq > entry->second.seq) {
      CheckProof(actor, seq, entry->second, value, seq - entry->second.seq,
                 derived, problems);
    }
  }
  for (const auto& [actor, entry] : derived->actors) {
    if (actor != local && covered[actor] < entry.seq) {
      problems->push_back("actor " + actor.ToHex() +
                          ": its changes after seq " +
                          std::to_string(covered[actor]) +
                          " have no stored proof of authorship");
    }
  }
}

// `derived` is the log's state at the position the stored heads and actors
// claim to reflect (`heads_at`).
void CheckHeadsAndActors(storage::KvStore* store, const Derived& all,
                         const HeadsAndActors& derived,
                         std::vector<std::string>* problems) {
  std::set<Hash> stored_heads;
  std::string value;
  std::vector<HeadEntry> heads;
  Status status = store->Get(Family::kMeta, kMetaHeads, &value);
  if (!status.ok() && !status.IsNotFound()) {
    problems->push_back("heads: " + status.ToString());
  } else if (!DecodeHeads(value, &heads)) {
    problems->push_back("heads: the stored set is malformed");
  }
  for (const HeadEntry& head : heads) {
    stored_heads.insert(head.hash);
    auto position = all.seen.find(head.hash);
    if (position == all.seen.end() ||
        position->second.position != head.entry.position) {
      problems->push_back("heads: " + head.hash.Short() +
                          " is stored with a wrong log position");
    }
  }
  if (stored_heads != derived.heads) {
    problems->push_back("heads: stored " + std::to_string(stored_heads.size()) +
                        " heads, the log implies " +
                        std::to_string(derived.heads.size()) +
                        " (or different ones)");
  }
  uint64_t stored_actors = 0;
  auto it = store->NewIterator(Family::kActors);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++stored_actors;
    ActorEntry entry;
    auto derived_actor =
        it->key().size() == ActorId::kSize
            ? derived.actors.find(ActorId::FromBytes(it->key()))
            : derived.actors.end();
    if (!DecodeActorEntry(it->value(), &entry) ||
        derived_actor == derived.actors.end() ||
        derived_actor->second.seq != entry.seq ||
        derived_actor->second.last_hash != entry.last_hash ||
        derived_actor->second.chain != entry.chain ||
        derived_actor->second.key != entry.key) {
      problems->push_back("actors: an entry disagrees with the log");
    }
  }
  if (stored_actors != derived.actors.size()) {
    problems->push_back(
        "actors: the log names " + std::to_string(derived.actors.size()) +
        " actors, the version vector holds " + std::to_string(stored_actors));
  }
}

}  // namespace

Result<VerifyReport> ChangeLog::Verify() const {
  std::lock_guard<std::mutex> lock(mutex_);  // no commit may interleave
  VerifyReport report;
  Derived derived;
  // The index names each position: by its hash (formats 5, 6), or by its
  // hash's first 26 bits and its height (log_index.h). The log keeps no
  // hashes; heads and parents name changes by their whole hash.
  std::unordered_map<uint64_t, Hash> indexed;
  struct Record {
    uint32_t bits;  // the 26 bits of its hash
    uint64_t height;
  };
  std::unordered_map<uint64_t, Record> records;
  uint64_t index_entries = 0;
  WEFT_RETURN_IF_ERROR(ReadIndex(
      store_, legacy_index_,
      [&](uint64_t position, const Hash* hash, const IndexRecord* record,
          std::string_view bucket) {
        ++index_entries;
        if (!legacy_index_ && position > indexed_through_) {
          report.problems.push_back(
              "index: a record of log position " + std::to_string(position) +
              ", beyond indexed_through " + std::to_string(indexed_through_));
        }
        bool first = hash != nullptr
                         ? indexed.emplace(position, *hash).second
                         : records
                               .emplace(position,
                                        Record{IndexedBits(bucket, record->tag),
                                               record->height})
                               .second;
        if (!first) {
          report.problems.push_back("index: two changes at log position " +
                                    std::to_string(position));
        }
      },
      &report.problems));
  Status status;
  std::string value;
  // The stored heads and actors reflect the log up to heads_at (format 3:
  // up to its end).
  uint64_t heads_at = UINT64_MAX;
  status = store_->Get(Family::kMeta, kMetaHeadsAt, &value);
  if (!status.IsNotFound()) {
    WEFT_RETURN_IF_ERROR(status);
    if (!DecodePosition(value, &heads_at)) {
      report.problems.push_back("heads_at: malformed");
    }
  }
  auto it = store_->NewIterator(Family::kMeta);
  for (it->Seek(kMetaProof); it->Valid(); it->Next()) {
    ActorId actor;
    uint64_t seq;
    if (!it->key().starts_with(kMetaProof)) break;
    if (!DecodeProofKey(it->key(), &actor, &seq)) {
      report.problems.push_back("meta: malformed proof key");
      continue;
    }
    derived.proofs[{actor, seq}] = std::string(it->value());
  }
  WEFT_RETURN_IF_ERROR(it->status());
  std::optional<HeadsAndActors> at_checkpoint;
  if (heads_at == 0) at_checkpoint.emplace();
  uint64_t expected_position = 1;
  it = store_->NewIterator(Family::kLog);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t key_position;
    if (!DecodePosition(it->key(), &key_position)) {
      report.problems.push_back("log: malformed key after position " +
                                std::to_string(expected_position - 1));
      continue;
    }
    // A packed run is decoded whole: every change rebuilt and re-hashed,
    // and the run's digest checked (dag/change_run.h).
    bool stopped;
    Status expanded = ExpandLogEntry(
        key_position, it->value(), /*cache=*/nullptr,
        [&](uint64_t position, const Hash& actual, std::string_view bytes,
            const Change*) {
          if (position != expected_position) {
            report.problems.push_back(
                "log: position " + std::to_string(expected_position) +
                " missing (next is " + std::to_string(position) + ")");
            expected_position = position;
          }
          IndexNaming naming;
          const Record* record = nullptr;
          if (legacy_index_) {
            if (auto hash = indexed.find(position); hash != indexed.end()) {
              naming.hash = &hash->second;
              naming.kind = hash->second == actual ? IndexNaming::kThis
                                                   : IndexNaming::kAnother;
            }
          } else if (position > indexed_through_) {
            naming.kind = IndexNaming::kThis;  // the tail: not indexed yet
          } else if (auto found = records.find(position);
                     found != records.end()) {
            record = &found->second;
            naming.kind = record->bits == IndexedBits(actual)
                              ? IndexNaming::kThis
                              : IndexNaming::kAnother;
            if (naming.kind == IndexNaming::kAnother) {
              derived.damaged[record->bits] = {position, record->height};
            }
          }
          CheckEntry(position, actual, naming, bytes, &derived,
                     &report.problems);
          auto seen = derived.seen.find(actual);
          if (record != nullptr && seen != derived.seen.end() &&
              seen->second.position == position && seen->second.height != 0 &&
              seen->second.height != record->height) {
            report.problems.push_back(
                "index: log position " + std::to_string(position) +
                " is recorded at height " + std::to_string(record->height) +
                ", its parents make it " + std::to_string(seen->second.height));
          }
          ++report.changes_checked;
          ++expected_position;
          if (position == heads_at) at_checkpoint = derived;
          return true;
        },
        &stopped);
    if (!expanded.ok()) {
      report.problems.push_back("log: " + expanded.message());
      derived.complete = false;
      expected_position = key_position + 1;
    }
  }
  WEFT_RETURN_IF_ERROR(it->status());
  if (derived.complete)
    CheckProofsBeyond(local_actor_, &derived, &report.problems);
  report.proofs_checked = derived.proofs_checked;
  report.document_touches = derived.touches;
  // Format 7 indexes the log through indexed_through (log_index.h).
  uint64_t indexed_changes =
      legacy_index_ ? report.changes_checked
                    : std::min(report.changes_checked, indexed_through_);
  if (index_entries != indexed_changes) {
    report.problems.push_back(
        "the log holds " + std::to_string(indexed_changes) +
        " indexed changes but the index " + std::to_string(index_entries));
  }
  WEFT_ASSIGN_OR_RETURN(
      uint64_t seqs,
      CheckSeqs(store_, legacy_index_, derived.authors, &report.problems));
  if (seqs != indexed_changes) {
    report.problems.push_back(
        "the log holds " + std::to_string(indexed_changes) +
        " indexed changes but the seqs family " + std::to_string(seqs));
  }
  // Local commits start after max_op and must start below this.
  constexpr uint64_t kCeiling =
      limits::kOpCounterMax - limits::kChangeBytesCeiling;
  if (derived.max_op >= kCeiling - limits::kOpCounterGapMax) {
    report.problems.push_back(
        "op counters: the log reaches " + std::to_string(derived.max_op) +
        ", which leaves less than " + std::to_string(limits::kOpCounterGapMax) +
        " for later local commits (at most " + std::to_string(kCeiling) + ")");
  }
  if (heads_at == UINT64_MAX) at_checkpoint = derived;
  if (!at_checkpoint.has_value()) {
    report.problems.push_back("heads_at: position " + std::to_string(heads_at) +
                              " is not in the log");
  } else if (derived.complete) {
    CheckHeadsAndActors(store_, derived, *at_checkpoint, &report.problems);
  } else {
    report.problems.push_back(
        "heads and actors not checked: some changes could not be read");
  }
  return report;
}

}  // namespace weft::engine
