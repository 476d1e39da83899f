// ChangeLog::Verify: re-derives everything the log proves and compares it
// with what is stored. Reports problems; repairs nothing.
#include <set>

#include "dag/change_codec.h"
#include "dag/sha256.h"
#include "engine/log/change_log.h"

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

// What the log implies, rebuilt entry by entry.
struct Derived {
  // False once a change could not be read: heads and actors are then
  // unknown, and comparing them would only repeat that one problem.
  bool complete = true;
  std::unordered_map<Hash, uint64_t, HashHasher> position_of;
  std::set<Hash> heads;
  std::map<ActorId, ActorEntry> actors;
};

void CheckEntry(storage::KvStore* store, uint64_t position, const Hash& hash,
                std::string_view bytes, Derived* derived,
                std::vector<std::string>* problems) {
  std::string at =
      "log position " + std::to_string(position) + " (" + hash.Short() + "): ";
  // Its children may name it even if its bytes are bad.
  if (!derived->position_of.emplace(hash, position).second) {
    problems->push_back(at + "change appears twice in the log");
  }
  Result<Change> change = Status::NotFound("");
  if (dag::Sha256(bytes) != hash) {
    problems->push_back(at + "bytes do not hash to their key");
  } else if (change = dag::DecodeChange(bytes); !change.ok()) {
    problems->push_back(at + "does not decode: " + change.status().message());
  }
  if (!change.ok()) {
    derived->complete = false;
    return;
  }
  std::string value;
  IndexEntry entry;
  if (!store->Get(Family::kIndex, hash.AsStringView(), &value).ok() ||
      !DecodeIndexEntry(value, &entry) || entry.position != position) {
    problems->push_back(at + "index entry missing or disagrees with the log");
  }
  for (const Hash& parent : change->parents) {
    auto parent_position = derived->position_of.find(parent);
    if (parent_position == derived->position_of.end() ||
        parent_position->second >= position) {
      problems->push_back(at + "parent " + parent.Short() +
                          " is not earlier in the log (closure broken)");
    }
    derived->heads.erase(parent);
  }
  derived->heads.insert(hash);
  ActorEntry& actor = derived->actors[change->actor];
  if (change->seq != actor.seq + 1) {
    problems->push_back(at + "seq " + std::to_string(change->seq) +
                        " does not follow " + std::to_string(actor.seq));
  }
  actor = ActorEntry{change->seq, hash, change->EndOp()};
}

void CheckHeadsAndActors(storage::KvStore* store, const Derived& derived,
                         std::vector<std::string>* problems) {
  std::set<Hash> stored_heads;
  auto it = store->NewIterator(Family::kHeads);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() == Hash::kSize) {
      stored_heads.insert(Hash::FromBytes(it->key()));
    }
  }
  if (stored_heads != derived.heads) {
    problems->push_back("heads: stored " + std::to_string(stored_heads.size()) +
                        " heads, the log implies " +
                        std::to_string(derived.heads.size()) +
                        " (or different ones)");
  }
  uint64_t stored_actors = 0;
  it = store->NewIterator(Family::kActors);
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
        derived_actor->second.last_hash != entry.last_hash) {
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
  uint64_t expected_position = 1;
  auto it = store_->NewIterator(Family::kLog);
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected_position) {
    uint64_t position;
    Hash hash;
    std::string_view bytes;
    if (!DecodePosition(it->key(), &position) ||
        !DecodeLogValue(it->value(), &hash, &bytes)) {
      report.problems.push_back("log: malformed entry after position " +
                                std::to_string(expected_position - 1));
      continue;
    }
    if (position != expected_position) {
      report.problems.push_back(
          "log: position " + std::to_string(expected_position) +
          " missing (next is " + std::to_string(position) + ")");
      expected_position = position;
    }
    CheckEntry(store_, position, hash, bytes, &derived, &report.problems);
    ++report.changes_checked;
  }
  WEFT_RETURN_IF_ERROR(it->status());
  WEFT_ASSIGN_OR_RETURN(uint64_t index, CountKeys(store_, Family::kIndex));
  if (index != report.changes_checked) {
    report.problems.push_back(
        "the log holds " + std::to_string(report.changes_checked) +
        " changes but the index " + std::to_string(index));
  }
  WEFT_ASSIGN_OR_RETURN(uint64_t seqs, CountKeys(store_, Family::kSeqs));
  if (seqs != report.changes_checked) {
    report.problems.push_back(
        "the log holds " + std::to_string(report.changes_checked) +
        " changes but the seqs family " + std::to_string(seqs));
  }
  if (derived.complete) {
    CheckHeadsAndActors(store_, derived, &report.problems);
  } else {
    report.problems.push_back(
        "heads and actors not checked: some changes could not be read");
  }
  return report;
}

}  // namespace weft::engine
