// SyncSession: one side of the sync protocol as a state machine over bytes
// (engine/sync/PROTOCOL.md). It reads and writes the database only through
// a SyncHost, and the network not at all.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dag/change_run.h"
#include "weft/change.h"
#include "weft/records.h"
#include "weft/sync.h"

namespace weft::engine::sync {

constexpr uint32_t kProtocolVersion = 3;
constexpr size_t kFrameBytesMax = 16u << 20;
// Until the peer's Hello is accepted (and, with a key, its Auth), a frame
// is a Hello or an Auth: a few hundred bytes. A peer that has proved
// nothing pins no more than this.
constexpr size_t kHandshakeFrameBytesMax = 4096;
constexpr size_t kNonceSize = 32;

// What each side holds: per actor, the last seq and its hash.
struct Summary {
  std::vector<ActorState> actors;
};

// What one side remembers of its last good session with a peer: the
// vectors it names as what each side held once caught up (`sent`: its own,
// the base of its next delta; `received`: the peer's). Both sides compute
// them from the same two summaries, so one's `sent` is the other's
// `received` when both remembered the same session.
struct PeerRecord {
  std::vector<ActorState> sent;
  std::vector<ActorState> received;
};

class SyncHost {
 public:
  virtual ~SyncHost() = default;
  virtual ActorId replica() = 0;
  virtual Result<Summary> GetSummary() = 0;
  // The log positions of the stored changes `peer` lacks, in log order (a
  // causal order). An actor whose change at the peer's last seq is not the
  // one the peer names is an equivocation: reported in *equivocations,
  // nothing of that actor sent.
  // *covered (may be null) gets, per actor, the last change the peer
  // holds once it has stored `changes`.
  virtual Status MissingFor(const Summary& peer,
                            std::vector<uint64_t>* positions,
                            std::vector<std::string>* equivocations,
                            std::vector<ActorState>* covered) = 0;
  // The stored changes at `positions` (ascending), appended to *changes,
  // up to `bytes_max` of them in all (always at least the first).
  virtual Status ReadChanges(std::span<const uint64_t> positions,
                             size_t bytes_max,
                             std::vector<std::string>* changes) = 0;
  // How many of `changes` (read by ReadChanges, more to follow) to send
  // now: ending the batch where its last change's actor has a proof makes
  // that actor's cover carry no tail of hashes (dag/authorship.h).
  virtual size_t CutAtProof(const std::vector<std::string>& changes) = 0;
  // The encoded proofs of authorship of `changes` (read by ReadChanges).
  virtual Result<std::string> ProveChanges(
      const std::vector<std::string>& changes) = 0;
  // Stores a batch in causal order atomically (each change verified, and
  // its authorship by `proofs`); returns how many were new. *held (may be
  // null) gets the actor, seq and hash of every change of the batch.
  virtual Result<uint64_t> StoreBatch(
      const std::vector<dag::RunChange>& changes, std::string_view proofs,
      std::vector<ActorState>* held) = 0;
  // The session with `peer`, reached at `address` (initiator; may be
  // empty), caught up: remember `record`, and who answers there.
  virtual void Remember(const ActorId& peer, std::string_view address,
                        const PeerRecord& record) = 0;
  // A session with `peer` (authenticated, past the handshake) ended:
  // well (`reason` empty) or not. Noted for status, best effort.
  virtual void NoteSession(const ActorId& peer, std::string_view address,
                           const std::string& reason,
                           const SyncStats& stats) = 0;
  // What Remember wrote for `peer`, if anything readable.
  virtual std::optional<PeerRecord> Recall(const ActorId& peer) = 0;
  // The replica that answered at `address` last time, if known.
  virtual std::optional<ActorId> PeerAt(std::string_view address) = 0;
};

class SyncSession : public SyncEndpoint {
 public:
  // `nonce`: kNonceSize random bytes (a simulation passes seeded ones).
  // `live` (the initiator's choice; a responder follows the initiator's
  // Hello): after catching up, stay open for pushes.
  // `address` (initiator, may be empty): where the peer was reached; the
  // replica that answered there last time is assumed, so that the first
  // summary can be a delta (a wrong guess costs one more message).
  // `accept_changes` false: the peer's changes are refused (it may read
  // only); the Hello says so.
  SyncSession(SyncHost* host, bool initiator, std::string key,
              std::string nonce, bool live = false, std::string address = "",
              bool accept_changes = true);

  Status Receive(std::string_view bytes) override;
  std::string TakeOutput() override;
  bool finished() const override { return state_ == State::kFinished; }
  bool live() const override { return state_ == State::kLive; }
  bool has_more_output() const override { return sending_; }
  bool past_handshake() const override {
    return state_ != State::kHello && state_ != State::kAuth;
  }
  size_t buffered_bytes() const override { return input_.size(); }
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
  Status SendWhatThePeerLacks();
  Status OnChanges(const void* changes);
  Status OnLiveMessage(int body, const void* message);
  // Queues the changes at `positions` (maybe none); TakeOutput reads and
  // encodes them one batch at a time, as the transport asks for more.
  void SendChanges(std::vector<uint64_t> positions);
  void SendNextBatch();
  void SendAck();
  void SendHello();
  Status SendSummary(std::optional<std::string_view> peer_known);
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
  std::string input_;   // bytes of an incomplete frame
  std::string output_;  // frames not yet taken
  // Changes queued by SendChanges: their positions, the next one to send,
  // and whether a batch (at least the last, maybe empty) is still to go.
  std::vector<uint64_t> outgoing_;
  size_t next_out_ = 0;
  bool sending_ = false;
  bool sent_since_receive_ = false;
  bool read_a_frame_ = false;  // the peer has sent one frame at least
  ActorId peer_;
  std::string peer_nonce_;
  const std::string address_;
  Summary my_summary_;  // in full, whether sent in full or as a delta
  Summary peer_summary_;
  // The last good session with the peer (or with the replica last met at
  // address_), and the digests of its two vectors: a delta summary is
  // relative to `sent`, the peer's may be relative to `received`.
  std::optional<PeerRecord> record_;
  std::string record_sent_digest_, record_received_digest_;
  bool summary_sent_ = false;
  bool sent_delta_ = false;      // my summary went as a delta
  bool got_summary_ = false;     // a peer's Summary arrived (maybe a delta)
  bool expect_changes_ = false;  // the peer holds changes we lack
  bool sent_all_ = false;
  bool expect_ack_ = false;  // we sent changes: finished once stored
  bool live_requested_;
  const bool accept_changes_;         // this side takes the peer's changes
  bool peer_accepts_changes_ = true;  // the peer's Hello did not refuse ours
  // Live: per actor, the last change the peer is known to hold (its
  // summary, then what went either way); a push sends what is above it.
  std::map<ActorId, ActorState> peer_holds_;
  bool push_waiting_ = false;  // news arrived while a push was unacked
  SyncStats stats_;
};

}  // namespace weft::engine::sync
