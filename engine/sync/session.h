// SyncSession: one side of the sync protocol as a state machine over bytes
// (engine/sync/PROTOCOL.md). It reads and writes the database only through
// a SyncHost, and the network not at all.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "weft/change.h"
#include "weft/database.h"
#include "weft/sync.h"

namespace weft::engine::sync {

constexpr uint32_t kProtocolVersion = 1;
constexpr size_t kFrameBytesMax = 16u << 20;
constexpr size_t kNonceSize = 32;

// What each side holds: heads and, per actor, the last seq and its hash.
struct Summary {
  std::vector<Hash> heads;  // sorted
  std::vector<ActorState> actors;
};

class SyncHost {
 public:
  virtual ~SyncHost() = default;
  virtual ActorId replica() = 0;
  virtual Result<Summary> GetSummary() = 0;
  // The stored changes `peer` lacks, in log order (a causal order). An
  // actor whose change at the peer's last seq is not the one the peer
  // names is an equivocation: reported in *equivocations, nothing of that
  // actor sent.
  // *covered (may be null) gets, per actor, the last change the peer
  // holds once it has stored `changes`.
  virtual Status MissingFor(const Summary& peer,
                            std::vector<std::string>* changes,
                            std::vector<std::string>* equivocations,
                            std::vector<ActorState>* covered) = 0;
  // Stores a batch in causal order atomically (each change verified);
  // returns how many were new. *held (may be null) gets the actor, seq and
  // hash of every change of the batch.
  virtual Result<uint64_t> StoreBatch(const std::vector<std::string>& changes,
                                      std::vector<ActorState>* held) = 0;
  // The session ended well: remember what the peer holds.
  virtual void Remember(const ActorId& peer, const Summary& summary) = 0;
};

class SyncSession : public SyncEndpoint {
 public:
  // `nonce`: kNonceSize random bytes (a simulation passes seeded ones).
  // `live` (the initiator's choice; a responder follows the initiator's
  // Hello): after catching up, stay open for pushes.
  SyncSession(SyncHost* host, bool initiator, std::string key,
              std::string nonce, bool live = false);

  Status Receive(std::string_view bytes) override;
  std::string TakeOutput() override;
  bool finished() const override { return state_ == State::kFinished; }
  bool live() const override { return state_ == State::kLive; }
  Status Push() override;
  void Ping() override;
  const SyncStats& stats() const override { return stats_; }

 private:
  enum class State {
    kHello,    // waiting for the peer's Hello
    kAuth,     // waiting for the peer's Auth
    kSummary,  // waiting for the peer's Summary
    kChanges,  // waiting for the peer's changes
    kLive,     // caught up; either side pushes what is new to it
    kFinished,
    kFailed,
  };
  Status OnMessage(std::string_view frame);
  Status OnHello(const void* hello);
  Status OnAuth(const void* auth);
  Status OnSummary(const void* summary);
  Status OnChanges(const void* changes);
  Status OnLiveMessage(int body, const void* message);
  void SendChanges(std::vector<std::string> changes);
  void SendAck();
  void SendHello();
  void SendSummary();
  void Send(std::string message);
  std::string Proof(bool initiator, std::string_view challenge,
                    std::string_view answer_nonce, const ActorId& replica);
  Status Fail(Status status);
  Status MaybeFinish();

  SyncHost* const host_;
  const bool initiator_;
  const std::string key_;
  const std::string nonce_;
  State state_ = State::kHello;
  bool started_ = false;
  std::string input_;   // bytes of an incomplete frame
  std::string output_;  // frames not yet taken
  bool sent_since_receive_ = false;
  ActorId peer_;
  std::string peer_nonce_;
  Summary my_summary_;  // as sent
  Summary peer_summary_;
  bool expect_changes_ = false;  // the peer holds changes we lack
  bool sent_all_ = false;
  bool expect_ack_ = false;  // we sent changes: finished once stored
  bool live_requested_;
  // Live: per actor, the last change the peer is known to hold (its
  // summary, then what went either way); a push sends what is above it.
  std::map<ActorId, ActorState> peer_holds_;
  bool push_waiting_ = false;  // news arrived while a push was unacked
  SyncStats stats_;
};

}  // namespace weft::engine::sync
