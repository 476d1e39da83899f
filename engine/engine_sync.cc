// Engine::NewSyncEndpoint, and the sync protocol's view of a database (its
// SyncHost): summaries from the version vector, what a peer lacks from the seqs
// family, batches stored through the same atomic path as any received change.
#include <algorithm>
#include <map>
#include <set>
#include <span>

#include "dag/authorship.h"
#include "dag/change_codec.h"
#include "dag/sha256.h"
#include "engine/engine.h"
#include "engine/log/keys.h"
#include "engine/sync/peer_records.h"
#include "engine/sync/session.h"

namespace weft::engine {
namespace {

using storage::Family;

class EngineHost : public sync::SyncHost {
 public:
  explicit EngineHost(Engine* engine) : engine_(engine) {}

  ActorId replica() override { return engine_->log().local_actor(); }

  Result<sync::Summary> GetSummary() override {
    return engine_->Locked([&]() -> Result<sync::Summary> {
      return sync::Summary{engine_->log().Actors()};
    });
  }

  Status MissingFor(const sync::Summary& peer, std::vector<uint64_t>* missing,
                    std::vector<std::string>* equivocations,
                    std::vector<ActorState>* covered) override {
    std::vector<uint64_t>& positions = *missing;
    std::map<ActorId, const ActorState*> theirs;
    for (const ActorState& state : peer.actors) theirs[state.actor] = &state;
    for (const ActorState& mine : engine_->log().Actors()) {
      auto found = theirs.find(mine.actor);
      uint64_t peer_seq = found == theirs.end() ? 0 : found->second->seq;
      Hash peer_last =
          found == theirs.end() ? Hash() : found->second->last_hash;
      if (peer_seq >= mine.seq) continue;
      if (peer_seq > 0) {
        uint64_t position;
        Hash hash;
        std::string bytes;
        WEFT_RETURN_IF_ERROR(PositionOf(mine.actor, peer_seq, &position));
        WEFT_RETURN_IF_ERROR(
            ReadLoggedChange(engine_->store(), engine_->log().run_cache(),
                             position, &hash, &bytes, nullptr));
        if (hash != peer_last) {
          equivocations->push_back("actor " + mine.actor.ToHex() + " seq " +
                                   std::to_string(peer_seq) + ": " +
                                   hash.Short() + " here, " +
                                   peer_last.Short() + " on the peer");
          continue;
        }
      }
      if (covered != nullptr) covered->push_back(mine);
      WEFT_RETURN_IF_ERROR(engine_->log().PositionsOfSeqs(
          mine.actor, peer_seq, mine.seq, &positions));
    }
    // Log order is a causal order: parents always come first.
    std::sort(positions.begin(), positions.end());
    return Status::OK();
  }

  Status ReadChanges(std::span<const uint64_t> positions, size_t bytes_max,
                     std::vector<std::string>* changes) override {
    // One walk of the log per stretch of consecutive positions (a clone is
    // one stretch).
    size_t bytes = 0;
    size_t next = 0;
    while (next < positions.size()) {
      size_t before = next;
      bool full = false;
      WEFT_RETURN_IF_ERROR(WalkLogEntries(
          engine_->store(), engine_->log().run_cache(), positions[next],
          [&](uint64_t position, const Hash&, std::string_view change,
              const Change*) {
            if (position != positions[next]) return false;  // walk again
            if (bytes > 0 && bytes + change.size() > bytes_max) {
              full = true;
              return false;
            }
            bytes += change.size();
            changes->emplace_back(change);
            return ++next < positions.size();
          }));
      if (full) break;
      if (next == before) {
        return Status::Corruption(
            "log position " + std::to_string(positions[next]) + " is missing");
      }
    }
    return Status::OK();
  }

  size_t CutAtProof(const std::vector<std::string>& changes) override {
    size_t floor = std::max(changes.size() / 2,
                            changes.size() > ChangeLog::kProofSentEvery
                                ? changes.size() - ChangeLog::kProofSentEvery
                                : size_t{0});
    for (size_t keep = changes.size(); keep > floor && keep > 1; --keep) {
      ActorId actor;
      uint64_t seq;
      if (dag::PeekAuthor(changes[keep - 1], &actor, &seq).ok() &&
          engine_->log().HasProofAt(actor, seq)) {
        return keep;
      }
    }
    return changes.size();
  }

  Result<std::string> ProveChanges(
      const std::vector<std::string>& changes) override {
    WEFT_ASSIGN_OR_RETURN(auto proofs, engine_->log().ProofsFor(changes));
    return dag::EncodeProofs(proofs);
  }

  Result<uint64_t> StoreBatch(const std::vector<dag::RunChange>& changes,
                              std::string_view proof_bytes,
                              std::vector<ActorState>* held) override {
    WEFT_ASSIGN_OR_RETURN(auto proofs,
                          DecodeOfferedProofs(proof_bytes, changes.size()));
    WEFT_ASSIGN_OR_RETURN(uint64_t stored, engine_->Writing([&] {
      return engine_->log().ReceiveAll(changes, proofs, {});
    }));
    if (held == nullptr) return stored;
    for (const dag::RunChange& entry : changes) {  // all verified by now
      held->push_back(
          ActorState{entry.change.actor, entry.change.seq, entry.hash, 0});
    }
    return stored;
  }

  void Remember(const ActorId& peer, std::string_view address,
                const sync::PeerRecord& record) override {
    int64_t now_ms = engine_->world().wall_clock_ms();
    std::set<ActorId> held;
    for (const ActorState& state : engine_->log().Actors()) {
      held.insert(state.actor);
    }
    sync::RememberPeer(engine_->store(), peer, address, record, held, now_ms);
  }

  void NoteSession(const ActorId& peer, std::string_view address,
                   const std::string& reason, const SyncStats& stats) override {
    sync::NoteSession(engine_->store(), peer, address, reason, stats,
                      engine_->world().wall_clock_ms());
  }

  std::optional<sync::PeerRecord> Recall(const ActorId& peer) override {
    return sync::RecallPeer(engine_->store(), peer);
  }

  std::optional<ActorId> PeerAt(std::string_view address) override {
    return sync::PeerAtAddress(engine_->store(), address);
  }

 private:
  Status PositionOf(const ActorId& actor, uint64_t seq, uint64_t* position) {
    return engine_->log().PositionOfSeq(actor, seq, position);
  }

  Engine* const engine_;
};

// A session with its host.
class EngineEndpoint : public SyncEndpoint {
 public:
  EngineEndpoint(Engine* engine, bool initiator, const std::string& key,
                 std::string nonce, bool live, std::string address,
                 bool accept_changes)
      : host_(engine),
        session_(&host_, initiator, key, std::move(nonce), live,
                 std::move(address), accept_changes) {}
  Status Receive(std::string_view bytes) override {
    return session_.Receive(bytes);
  }
  std::string TakeOutput() override { return session_.TakeOutput(); }
  bool finished() const override { return session_.finished(); }
  bool live() const override { return session_.live(); }
  bool has_more_output() const override { return session_.has_more_output(); }
  bool past_handshake() const override { return session_.past_handshake(); }
  size_t buffered_bytes() const override { return session_.buffered_bytes(); }
  Status Push() override { return session_.Push(); }
  void Ping() override { session_.Ping(); }
  const SyncStats& stats() const override { return session_.stats(); }

 private:
  EngineHost host_;
  sync::SyncSession session_;
};

}  // namespace

Result<std::unique_ptr<SyncEndpoint>> Engine::NewSyncEndpoint(
    bool initiator, const std::string& key, std::string nonce, bool live,
    std::string address, bool accept_changes) {
  if (nonce.empty()) {
    nonce.resize(sync::kNonceSize);
    WEFT_RETURN_IF_ERROR(world_.random_bytes(
        reinterpret_cast<uint8_t*>(nonce.data()), nonce.size()));
  }
  if (nonce.size() != sync::kNonceSize) {
    return Status::InvalidArgument("a sync nonce is 32 bytes");
  }
  return std::unique_ptr<SyncEndpoint>(
      new EngineEndpoint(this, initiator, key, std::move(nonce), live,
                         std::move(address), accept_changes));
}

}  // namespace weft::engine
