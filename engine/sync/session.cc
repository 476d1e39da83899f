#include "engine/sync/session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>

#include "dag/change_run.h"
#include "dag/sha256.h"
#include "engine/sync/vectors.h"
#include "sync_generated.h"

namespace weft::engine::sync {
namespace {

namespace wire = weft::wire;

constexpr size_t kActorsMax = 1000000;
// A batch of changes (a run, dag/change_run.h) is cut at this many changes
// or bytes of their canonical form, whichever comes first (a change larger
// than that goes alone).
constexpr size_t kBatchChangesMax = 4096;
constexpr size_t kBatchRawBytes = 2u << 20;

std::string_view Bytes(const flatbuffers::Vector<uint8_t>* vector) {
  if (vector == nullptr) return {};
  return {reinterpret_cast<const char*>(vector->data()), vector->size()};
}

flatbuffers::Offset<flatbuffers::Vector<uint8_t>> MakeBytes(
    flatbuffers::FlatBufferBuilder* builder, std::string_view bytes) {
  return builder->CreateVector(reinterpret_cast<const uint8_t*>(bytes.data()),
                               bytes.size());
}

std::string Finish(flatbuffers::FlatBufferBuilder* builder,
                   wire::Body body_type, flatbuffers::Offset<void> body) {
  builder->Finish(wire::CreateMessage(*builder, body_type, body));
  return {reinterpret_cast<const char*>(builder->GetBufferPointer()),
          builder->GetSize()};
}

const char* BodyName(wire::Body body) {
  switch (body) {
    case wire::Body::Hello:
      return "Hello";
    case wire::Body::Auth:
      return "Auth";
    case wire::Body::Summary:
      return "Summary";
    case wire::Body::Changes:
      return "Changes";
    case wire::Body::Error:
      return "Error";
    case wire::Body::Ack:
      return "Ack";
    case wire::Body::Ping:
      return "Ping";
    default:
      return "unknown";
  }
}

// A peer's words go into logs: at most this many bytes of them, escaped
// (EscapeForLog).
constexpr size_t kPeerReasonBytesMax = 256;

// The actors of a Summary, checked: Corruption for a malformed entry.
Status DecodeActors(const wire::Summary& summary,
                    std::vector<ActorState>* actors) {
  if (summary.actors() == nullptr) return Status::OK();
  for (const wire::ActorSeq* entry : *summary.actors()) {
    std::string_view actor = Bytes(entry->actor());
    std::string_view last = Bytes(entry->last_hash());
    if (actor.size() != ActorId::kSize || last.size() != Hash::kSize ||
        entry->seq() == 0) {
      return Status::Corruption("sync: malformed Summary entry");
    }
    actors->push_back(ActorState{ActorId::FromBytes(actor), entry->seq(),
                                 Hash::FromBytes(last), 0});
  }
  return Status::OK();
}

}  // namespace

SyncSession::SyncSession(SyncHost* host, bool initiator, std::string key,
                         std::string nonce, bool live, std::string address,
                         bool accept_changes)
    : host_(host),
      initiator_(initiator),
      key_(std::move(key)),
      nonce_(std::move(nonce)),
      address_(std::move(address)),
      live_requested_(initiator && live),
      accept_changes_(accept_changes) {
  SendHello();
  // Without a key nothing is secret from the peer: the initiator sends its
  // summary at once and the responder answers the Hello with its own, so
  // that equal replicas are done after one round trip.
  if (key_.empty() && initiator_) {
    SendSummary(std::nullopt).PermitUncheckedError();  // the state says
  }
}

void SyncSession::Send(std::string message) {
  uint32_t size = static_cast<uint32_t>(message.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    output_.push_back(static_cast<char>(size >> shift));
  }
  output_ += message;
  stats_.bytes_sent += 4 + message.size();
  sent_since_receive_ = true;
}

std::string SyncSession::TakeOutput() {
  if (output_.empty() && sending_) SendNextBatch();
  std::string out;
  out.swap(output_);
  return out;
}

void SyncSession::SendHello() {
  flatbuffers::FlatBufferBuilder builder;
  auto replica = MakeBytes(&builder, host_->replica().AsStringView());
  auto nonce = MakeBytes(&builder, nonce_);
  auto hello =
      wire::CreateHello(builder, kProtocolVersion, replica, nonce,
                        !key_.empty(), live_requested_, !accept_changes_);
  Send(Finish(&builder, wire::Body::Hello, hello.Union()));
}

// The first call takes what this replica holds; later calls send that same
// summary again, in full. It goes as a delta if this replica met the peer
// before and `peer_known` (the digest the peer says it kept of our last
// summary; nullopt: not heard yet) does not say the peer cannot read it.
Status SyncSession::SendSummary(std::optional<std::string_view> peer_known) {
  if (!summary_sent_) {
    summary_sent_ = true;
    Result<Summary> summary = host_->GetSummary();
    if (!summary.ok()) return Fail(summary.status());
    my_summary_ = std::move(summary).value();
    std::optional<ActorId> peer;
    if (state_ != State::kHello) {
      peer = peer_;
    } else if (!address_.empty()) {  // the initiator, before any Hello
      peer = host_->PeerAt(address_);
    }
    if (peer) record_ = host_->Recall(*peer);
    if (record_) {
      record_sent_digest_ = VectorDigest(record_->sent);
      record_received_digest_ = VectorDigest(record_->received);
    }
  }
  std::vector<const ActorState*> entries;
  sent_delta_ = record_ &&
                (!peer_known || *peer_known == record_sent_digest_) &&
                Delta(record_->sent, my_summary_.actors, &entries);
  if (!sent_delta_) {
    entries.clear();
    for (const ActorState& state : my_summary_.actors) {
      entries.push_back(&state);
    }
  }
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<wire::ActorSeq>> actors;
  for (const ActorState* state : entries) {
    actors.push_back(wire::CreateActorSeq(
        builder, MakeBytes(&builder, state->actor.AsStringView()), state->seq,
        MakeBytes(&builder, state->last_hash.AsStringView())));
  }
  auto summary_offset = wire::CreateSummary(
      builder, builder.CreateVector(actors),
      MakeBytes(&builder, sent_delta_ ? record_sent_digest_ : ""),
      MakeBytes(&builder, record_received_digest_));
  Send(Finish(&builder, wire::Body::Summary, summary_offset.Union()));
  return Status::OK();
}

std::string SyncSession::Proof(bool initiator, std::string_view challenge,
                               std::string_view answer_nonce,
                               const ActorId& replica) {
  std::string message = "weft-sync-1 auth";
  message.push_back(initiator ? 'I' : 'R');
  message += challenge;
  message += answer_nonce;
  message += replica.AsStringView();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       mac, &mac_size);
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

Status SyncSession::Fail(Status status) {
  if (state_ == State::kFailed) return status;
  // Only a peer that passed the handshake is known (and, with a key or
  // the secure channel, proved): before, its replica id is only a claim.
  if (past_handshake()) {
    host_->NoteSession(peer_, address_, status.ToString(), stats_);
  }
  state_ = State::kFailed;
  flatbuffers::FlatBufferBuilder builder;
  auto error =
      wire::CreateError(builder, builder.CreateString(status.ToString()));
  Send(Finish(&builder, wire::Body::Error, error.Union()));
  return status;
}

Status SyncSession::Receive(std::string_view bytes) {
  if (state_ == State::kFailed) {
    return Status::InvalidArgument("the sync session has failed");
  }
  stats_.bytes_received += bytes.size();
  input_.append(bytes);
  size_t consumed = 0;
  Status status;
  while (status.ok() && input_.size() - consumed >= 4) {
    const auto* size_bytes =
        reinterpret_cast<const unsigned char*>(input_.data() + consumed);
    uint32_t size = (uint32_t{size_bytes[0]} << 24) |
                    (uint32_t{size_bytes[1]} << 16) |
                    (uint32_t{size_bytes[2]} << 8) | size_bytes[3];
    size_t limit = past_handshake() ? kFrameBytesMax : kHandshakeFrameBytesMax;
    if ((size == 0 || size > limit) && !read_a_frame_) {
      // The very first bytes are no frame of weft's: something else
      // answered (a web server, another protocol), or a client of one.
      return Fail(Status::InvalidArgument(
          "sync: the peer does not speak weft's sync protocol (its first "
          "bytes, \"" +
          EscapeForLog(input_, 16) + "\", announce a frame of " +
          std::to_string(size) + " bytes; the limit before the handshake is " +
          std::to_string(limit) + ")"));
    }
    if (size == 0 || size > limit) {
      return Fail(Status::Corruption(
          "sync: a frame of " + std::to_string(size) + " bytes (the limit is " +
          std::to_string(limit) +
          (past_handshake() ? "" : " before the handshake") + ")"));
    }
    if (input_.size() - consumed - 4 < size) break;  // wait for the rest
    if (sent_since_receive_) {
      ++stats_.round_trips;
      sent_since_receive_ = false;
    }
    read_a_frame_ = true;
    status = OnMessage(std::string_view(input_).substr(consumed + 4, size));
    consumed += 4 + size;
  }
  input_.erase(0, consumed);
  // A large frame's room is not kept once it is read.
  if (input_.capacity() > (64u << 10) && input_.size() < (16u << 10)) {
    input_.shrink_to_fit();
  }
  return status;
}

Status SyncSession::OnMessage(std::string_view frame) {
  // FlatBuffers reads scalars in place, and a frame sits at any offset of
  // what the peer sent: read it from an 8-byte aligned copy when it is not
  // aligned (the frames after the first of a read usually are not).
  std::string aligned;
  if (reinterpret_cast<uintptr_t>(frame.data()) % 8 != 0) {
    aligned.assign(frame);
    frame = aligned;
  }
  flatbuffers::Verifier verifier(
      reinterpret_cast<const uint8_t*>(frame.data()), frame.size(),
      /*max_depth=*/16, /*max_tables=*/2 * kActorsMax + 16);
  if (!wire::VerifyMessageBuffer(verifier)) {
    return Fail(Status::Corruption("sync: a message fails verification"));
  }
  const wire::Message* message = wire::GetMessage(frame.data());
  wire::Body body = message->body_type();
  // The verifier accepts a union whose type is set and whose table is
  // absent (and a type this build does not know): neither is a message.
  if (message->body() == nullptr ||
      static_cast<int>(body) > static_cast<int>(wire::Body::MAX)) {
    return Fail(Status::Corruption(
        std::string("sync: a message without a body (kind ") + BodyName(body) +
        ")"));
  }
  if (body == wire::Body::Error) {
    const wire::Error* error = message->body_as_Error();
    state_ = State::kFailed;  // no Error in answer to an Error
    return Status::IOError(
        "the peer ended the session",
        error->reason()
            ? EscapeForLog(error->reason()->string_view(), kPeerReasonBytesMax)
            : "");
  }
  // Said as what it is, whenever it comes: a peer granted reading only
  // pushed changes anyway.
  if (body == wire::Body::Changes && !accept_changes_ &&
      message->body_as_Changes()->count() > 0) {
    return Fail(Status::InvalidArgument(
        "sync: the peer may only read here: its changes are refused"));
  }
  if (state_ == State::kLive) {
    return OnLiveMessage(static_cast<int>(body), message->body());
  }
  static constexpr wire::Body kExpected[] = {
      wire::Body::Hello, wire::Body::Auth, wire::Body::Summary,
      wire::Body::Changes};
  bool ack_awaited =
      state_ == State::kChanges && body == wire::Body::Ack && expect_ack_;
  if (state_ == State::kFinished || state_ == State::kFailed ||
      (body != kExpected[static_cast<int>(state_)] && !ack_awaited)) {
    return Fail(Status::Corruption(std::string("sync: unexpected ") +
                                   BodyName(body) + " message"));
  }
  switch (body) {
    case wire::Body::Hello:
      return OnHello(message->body_as_Hello());
    case wire::Body::Auth:
      return OnAuth(message->body_as_Auth());
    case wire::Body::Summary:
      return OnSummary(message->body_as_Summary());
    case wire::Body::Ack:
      expect_ack_ = false;
      return MaybeFinish();
    default:
      return OnChanges(message->body_as_Changes());
  }
}

Status SyncSession::OnHello(const void* body) {
  const auto* hello = static_cast<const wire::Hello*>(body);
  if (hello->version() != kProtocolVersion) {
    return Fail(Status::NotSupported("sync: the peer speaks protocol version " +
                                     std::to_string(hello->version()) +
                                     ", this replica version " +
                                     std::to_string(kProtocolVersion)));
  }
  std::string_view replica = Bytes(hello->replica());
  std::string_view nonce = Bytes(hello->nonce());
  if (replica.size() != ActorId::kSize || nonce.size() != kNonceSize) {
    return Fail(Status::Corruption("sync: malformed Hello"));
  }
  peer_ = ActorId::FromBytes(replica);
  peer_nonce_ = std::string(nonce);
  if (!initiator_) live_requested_ = hello->live();
  peer_accepts_changes_ = !hello->read_only();
  if (key_.empty() && hello->authenticate()) {
    return Fail(Status::InvalidArgument(
        "sync: the peer requires a shared key and none is set here"));
  }
  if (!key_.empty() && !hello->authenticate()) {
    return Fail(Status::InvalidArgument(
        "sync: authentication required: the peer has no key"));
  }
  if (key_.empty()) {
    state_ = State::kSummary;  // a responder answers the peer's summary
    return Status::OK();
  }
  flatbuffers::FlatBufferBuilder builder;
  auto proof = MakeBytes(
      &builder, Proof(initiator_, peer_nonce_, nonce_, host_->replica()));
  Send(Finish(&builder, wire::Body::Auth,
              wire::CreateAuth(builder, proof).Union()));
  state_ = State::kAuth;
  return Status::OK();
}

Status SyncSession::OnAuth(const void* body) {
  const auto* auth = static_cast<const wire::Auth*>(body);
  std::string expected = Proof(!initiator_, nonce_, peer_nonce_, peer_);
  std::string_view proof = Bytes(auth->proof());
  if (proof.size() != expected.size() ||
      CRYPTO_memcmp(proof.data(), expected.data(), expected.size()) != 0) {
    return Fail(Status::InvalidArgument(
        "sync: authentication failed: the peer does not hold the key"));
  }
  state_ = State::kSummary;
  return SendSummary(std::nullopt);
}

Status SyncSession::OnSummary(const void* body) {
  const auto* summary = static_cast<const wire::Summary*>(body);
  std::string_view base = Bytes(summary->base());
  std::string_view known = Bytes(summary->known());
  if ((summary->actors() != nullptr &&
       summary->actors()->size() > kActorsMax) ||
      (!base.empty() && base.size() != Hash::kSize) ||
      (!known.empty() && known.size() != Hash::kSize)) {
    return Fail(Status::Corruption("sync: malformed Summary"));
  }
  bool first = !got_summary_;
  got_summary_ = true;
  // A responder without a key answers with its own summary. A peer reads
  // our delta only if it kept the vector the delta is relative to; if it
  // did not, it waits for our summary in full.
  if (!summary_sent_ ||
      (first && sent_delta_ && known != record_sent_digest_)) {
    WEFT_RETURN_IF_ERROR(SendSummary(known));
  }
  if (!base.empty()) {
    if (!first) {
      return Fail(Status::Corruption(
          "sync: a delta Summary where the full one was due"));
    }
    // Not relative to what we kept: the peer sees that from our `known`
    // and sends it in full next.
    if (!record_ || base != record_received_digest_) return Status::OK();
  }
  Status decoded = DecodeActors(*summary, &peer_summary_.actors);
  if (!decoded.ok()) return Fail(decoded);
  if (Index(peer_summary_).size() != peer_summary_.actors.size()) {
    return Fail(Status::Corruption("sync: an actor twice in a Summary"));
  }
  if (!base.empty()) {  // a delta: the rest is as the peer had it
    peer_summary_.actors = ApplyDelta(record_->received, peer_summary_.actors);
  }
  return SendWhatThePeerLacks();
}

// Both summaries known: notes equivocations and what the peer holds, sends
// the changes it lacks (if any), and waits for its own if it has more.
Status SyncSession::SendWhatThePeerLacks() {
  ActorIndex mine = Index(my_summary_), theirs = Index(peer_summary_);
  Equivocations(mine, theirs, &stats_.equivocations);
  for (const ActorState& state : peer_summary_.actors) {
    NoteHeld(&peer_holds_, state);
  }
  // A side that refuses the other's changes waits for none, and the other,
  // told so by its Hello, sends none.
  expect_changes_ = accept_changes_ && HasMoreThan(theirs, mine);
  if (peer_accepts_changes_ && HasMoreThan(mine, theirs)) {
    std::vector<uint64_t> missing;
    std::vector<ActorState> covered;
    Status status = host_->MissingFor(peer_summary_, &missing,
                                      &stats_.equivocations, &covered);
    if (!status.ok()) return Fail(status);
    for (const ActorState& state : covered) NoteHeld(&peer_holds_, state);
    // Always sent, maybe empty (an equivocation can leave nothing to send):
    // the peer waits for a last Changes.
    SendChanges(std::move(missing));
    expect_ack_ = true;
  }
  sent_all_ = true;
  state_ = State::kChanges;
  return MaybeFinish();
}

// Queues the changes at `positions` for batches cut by count and size, the
// last one flagged (an empty list still sends one, empty and last). Only
// one batch is read and encoded at a time, when the transport has sent the
// one before: a peer that does not read pins one batch, and a long
// transfer lets other sessions run between its batches.
void SyncSession::SendChanges(std::vector<uint64_t> positions) {
  outgoing_ = std::move(positions);
  next_out_ = 0;
  sending_ = true;
}

void SyncSession::SendNextBatch() {
  std::vector<std::string> batch;
  size_t end = std::min(outgoing_.size(), next_out_ + kBatchChangesMax);
  Status status = host_->ReadChanges(
      std::span<const uint64_t>(outgoing_).subspan(next_out_, end - next_out_),
      kBatchRawBytes, &batch);
  if (!status.ok()) {
    sending_ = false;
    Fail(status).PermitUncheckedError();  // the Error frame says why
    return;
  }
  if (next_out_ + batch.size() < outgoing_.size()) {
    batch.resize(host_->CutAtProof(batch));
  }
  next_out_ += batch.size();
  bool last = next_out_ == outgoing_.size();
  if (last) {
    sending_ = false;
    outgoing_.clear();
  }
  Result<std::string> proofs =
      batch.empty() ? std::string() : host_->ProveChanges(batch);
  if (!proofs.ok()) {
    sending_ = false;
    Fail(proofs.status()).PermitUncheckedError();
    return;
  }
  Result<std::string> run =
      batch.empty() ? std::string() : dag::EncodeRunOfBytes(batch);
  if (!run.ok()) {
    sending_ = false;
    Fail(run.status()).PermitUncheckedError();
    return;
  }
  flatbuffers::FlatBufferBuilder builder;
  auto payload = MakeBytes(&builder, *run);
  auto proof_bytes = MakeBytes(&builder, *proofs);
  auto message = wire::CreateChanges(
      builder, payload, static_cast<uint32_t>(batch.size()), last, proof_bytes);
  Send(Finish(&builder, wire::Body::Changes, message.Union()));
  stats_.changes_sent += batch.size();
}

void SyncSession::SendAck() {
  flatbuffers::FlatBufferBuilder builder;
  Send(Finish(&builder, wire::Body::Ack, wire::CreateAck(builder).Union()));
}

Status SyncSession::OnChanges(const void* body) {
  const auto* message = static_cast<const wire::Changes*>(body);
  if (!expect_changes_ && state_ != State::kLive) {
    return Fail(Status::Corruption("sync: changes the peer should not send"));
  }
  if (message->count() > 0) {
    dag::RunLimits limits;
    limits.changes_max = kBatchChangesMax;
    Result<std::vector<dag::RunChange>> changes =
        dag::DecodeRun(Bytes(message->payload()), limits);
    if (!changes.ok()) return Fail(changes.status());
    if (changes->size() != message->count()) {
      return Fail(Status::Corruption(
          "sync: a batch of " + std::to_string(changes->size()) +
          " changes said it held " + std::to_string(message->count())));
    }
    // A live session remembers what the peer sent: it holds it, so a push
    // never sends it back.
    std::vector<ActorState> held;
    Result<uint64_t> stored = host_->StoreBatch(
        *changes, Bytes(message->proofs()), live_requested_ ? &held : nullptr);
    if (!stored.ok()) return Fail(stored.status());
    stats_.changes_received += *stored;
    for (const ActorState& state : held) NoteHeld(&peer_holds_, state);
  }
  if (message->last()) {
    SendAck();
    if (state_ == State::kLive) return Status::OK();
    expect_changes_ = false;
    return MaybeFinish();
  }
  return Status::OK();
}

Status SyncSession::OnLiveMessage(int body_type, const void* body) {
  switch (static_cast<wire::Body>(body_type)) {
    case wire::Body::Changes:
      return OnChanges(body);
    case wire::Body::Ack:
      if (!expect_ack_) break;
      expect_ack_ = false;
      return push_waiting_ ? Push() : Status::OK();
    case wire::Body::Ping:
      ++stats_.pings_received;
      return Status::OK();
    default:
      break;
  }
  return Fail(Status::Corruption(std::string("sync: unexpected ") +
                                 BodyName(static_cast<wire::Body>(body_type)) +
                                 " message"));
}

Status SyncSession::Push() {
  if (state_ != State::kLive) return Status::OK();
  if (expect_ack_) {  // one push in flight at a time: the Ack paces us
    push_waiting_ = true;
    return Status::OK();
  }
  push_waiting_ = false;
  if (!peer_accepts_changes_) return Status::OK();
  Summary peer;
  for (const auto& [actor, state] : peer_holds_) peer.actors.push_back(state);
  std::vector<uint64_t> missing;
  std::vector<std::string> equivocations;
  std::vector<ActorState> covered;
  Status status = host_->MissingFor(peer, &missing, &equivocations, &covered);
  if (!status.ok()) return Fail(status);
  for (std::string& equivocation : equivocations) {  // reported once
    if (std::find(stats_.equivocations.begin(), stats_.equivocations.end(),
                  equivocation) == stats_.equivocations.end()) {
      stats_.equivocations.push_back(std::move(equivocation));
    }
  }
  for (const ActorState& state : covered) NoteHeld(&peer_holds_, state);
  if (missing.empty()) return Status::OK();
  SendChanges(std::move(missing));
  expect_ack_ = true;
  return Status::OK();
}

void SyncSession::Ping() {
  if (state_ != State::kLive) return;
  ++stats_.pings_sent;
  flatbuffers::FlatBufferBuilder builder;
  Send(Finish(&builder, wire::Body::Ping, wire::CreatePing(builder).Union()));
}

Status SyncSession::MaybeFinish() {
  if (!sent_all_ || expect_changes_ || expect_ack_ ||
      state_ == State::kFailed) {
    return Status::OK();
  }
  // Not exactly what each side holds (an equivocating actor was not sent,
  // commits may have come meanwhile), but a base both sides agree on: a
  // delta lists whatever differs from it.
  // A session in which one side refused the other's changes did not bring
  // them level: nothing is noted, and the next summary goes in full.
  if (accept_changes_ && peer_accepts_changes_) {
    host_->Remember(
        peer_, address_,
        PeerRecord{Union(my_summary_.actors, peer_summary_.actors),
                   Union(peer_summary_.actors, my_summary_.actors)});
  }
  host_->NoteSession(peer_, address_, "", stats_);
  if (!live_requested_) {
    state_ = State::kFinished;
    return Status::OK();
  }
  // What was committed here while catching up goes out at once.
  state_ = State::kLive;
  return Push();
}

}  // namespace weft::engine::sync
