// The sending side of signed authorship: the proofs that vouch for a run
// of stored changes (dag/authorship.h; checked by ChangeLog::CheckCovers).
#include <map>

#include "dag/change_codec.h"
#include "engine/log/change_log.h"

namespace weft::engine {

using storage::Family;

Result<std::vector<dag::AuthorshipProof>> DecodeOfferedProofs(
    std::string_view bytes, size_t changes) {
  if (bytes.empty()) return std::vector<dag::AuthorshipProof>();
  // Per change at most one proof stored within its run, and one cover per
  // actor.
  return dag::DecodeProofs(bytes, 2 * changes + 1);
}

Result<Hash> ChangeLog::HashOfSeq(const ActorId& actor, uint64_t seq) const {
  uint64_t position;
  WEFT_RETURN_IF_ERROR(PositionOfSeqLocked(actor, seq, &position));
  Hash hash;
  std::string bytes;
  WEFT_RETURN_IF_ERROR(
      ReadLoggedChange(store_, &run_cache_, position, &hash, &bytes, nullptr));
  return hash;
}

Status ChangeLog::ProveRun(const ActorId& actor, uint64_t after, uint64_t last,
                           std::vector<dag::AuthorshipProof>* out) const {
  const ActorEntry& held = actors_.at(actor);
  // A proof for a later seq than `last` carries the hashes in between:
  // from this log up to what it holds, then from the stored tail.
  auto cover = [&](dag::AuthorshipProof proof,
                   std::string_view stored_tail) -> Status {
    uint64_t tail_from = proof.seq - stored_tail.size() / Hash::kSize;
    for (uint64_t seq = last + 1; seq <= proof.seq; ++seq) {
      if (seq <= held.seq) {
        WEFT_ASSIGN_OR_RETURN(Hash hash, HashOfSeq(actor, seq));
        proof.tail.push_back(hash);
      } else if (seq > tail_from) {
        proof.tail.push_back(Hash::FromBytes(stored_tail.substr(
            (seq - tail_from - 1) * Hash::kSize, Hash::kSize)));
      } else {
        return Status::Corruption("the proof of actor " + actor.ToHex() +
                                  " at seq " + std::to_string(proof.seq) +
                                  " lacks hashes for its tail");
      }
    }
    out->push_back(std::move(proof));
    return Status::OK();
  };
  auto it = store_->NewIterator(Family::kMeta);
  for (it->Seek(EncodeProofKey(actor, after + 1)); it->Valid(); it->Next()) {
    ActorId of;
    uint64_t seq;
    if (!DecodeProofKey(it->key(), &of, &seq) || of != actor) break;
    std::string_view value = it->value();
    if (value.size() < dag::kSignatureSize ||
        (value.size() - dag::kSignatureSize) % Hash::kSize != 0) {
      return Status::Corruption("meta: malformed proof of actor",
                                actor.ToHex());
    }
    dag::AuthorshipProof proof{
        actor, seq, std::string(value.substr(0, dag::kSignatureSize)), {}};
    if (seq < last) {
      if (seq % kProofSentEvery == 0) out->push_back(std::move(proof));
      continue;
    }
    return cover(std::move(proof), value.substr(dag::kSignatureSize));
  }
  WEFT_RETURN_IF_ERROR(it->status());
  if (actor == local_actor_ && author_ != nullptr) {
    return cover({actor, held.seq, author_->Sign(held.seq, held.chain), {}},
                 {});
  }
  if (actor == local_actor_) {
    return Status::InvalidArgument(
        "this replica's changes after seq " + std::to_string(last - 1) +
        " are signed as they are sent, and this open has no identity key");
  }
  return Status::Corruption("no proof of authorship is stored for actor " +
                            actor.ToHex() + " at or after seq " +
                            std::to_string(last));
}

bool ChangeLog::HasProofAt(const ActorId& actor, uint64_t seq) const {
  std::string value;
  return store_->Get(Family::kMeta, EncodeProofKey(actor, seq), &value).ok();
}

Result<std::vector<dag::AuthorshipProof>> ChangeLog::ProofsFor(
    const std::vector<std::string>& changes) const {
  std::map<ActorId, std::pair<uint64_t, uint64_t>> runs;  // first, last
  for (const std::string& bytes : changes) {
    ActorId actor;
    uint64_t seq;
    WEFT_RETURN_IF_ERROR(dag::PeekAuthor(bytes, &actor, &seq));
    auto [run, added] = runs.emplace(actor, std::make_pair(seq, seq));
    run->second.first = std::min(run->second.first, seq);
    run->second.second = std::max(run->second.second, seq);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<dag::AuthorshipProof> proofs;
  for (const auto& [actor, run] : runs) {
    if (actors_.find(actor) == actors_.end()) {
      return Status::InvalidArgument("actor " + actor.ToHex() +
                                     " has no changes here");
    }
    WEFT_RETURN_IF_ERROR(ProveRun(actor, run.first - 1, run.second, &proofs));
  }
  return proofs;
}

}  // namespace weft::engine
