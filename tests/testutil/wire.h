// Sync protocol messages built by hand, as a hostile or scripted peer
// sends them (tests that link flatbuffers and see the generated schema).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dag/change_run.h"
#include "engine/sync/session.h"
#include "sync_generated.h"
#include "weft/database.h"

namespace weft::testing {

// A message as one frame: 4-byte big-endian length, then the bytes.
inline std::string Frame(flatbuffers::FlatBufferBuilder* builder) {
  std::string frame(4, '\0');
  uint32_t size = builder->GetSize();
  for (int idx = 0; idx < 4; ++idx) {
    frame[idx] = static_cast<char>(size >> (24 - 8 * idx));
  }
  frame.append(reinterpret_cast<const char*>(builder->GetBufferPointer()),
               size);
  return frame;
}

inline flatbuffers::Offset<flatbuffers::Vector<uint8_t>> WireBytes(
    flatbuffers::FlatBufferBuilder* builder, std::string_view bytes) {
  return builder->CreateVector(reinterpret_cast<const uint8_t*>(bytes.data()),
                               bytes.size());
}

// A keyless Hello of `version` from `replica`.
inline std::string HelloFrame(
    const ActorId& replica, uint32_t version = engine::sync::kProtocolVersion) {
  std::string nonce(32, 'n');
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(wire::CreateMessage(
      builder, wire::Body::Hello,
      wire::CreateHello(builder, version,
                        WireBytes(&builder, replica.AsStringView()),
                        WireBytes(&builder, nonce), false)
          .Union()));
  return Frame(&builder);
}

// A Summary claiming one actor at `claimed`.seq; with a `base`, as a delta
// relative to the vector of that digest.
inline std::string SummaryFrame(const ActorState& claimed,
                                std::string_view base = "") {
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<wire::ActorSeq>> actors = {
      wire::CreateActorSeq(
          builder, WireBytes(&builder, claimed.actor.AsStringView()),
          claimed.seq, WireBytes(&builder, claimed.last_hash.AsStringView()))};
  builder.Finish(wire::CreateMessage(
      builder, wire::Body::Summary,
      wire::CreateSummary(builder, builder.CreateVector(actors),
                          WireBytes(&builder, base))
          .Union()));
  return Frame(&builder);
}

// A run of `changes` (canonical bytes), as a Changes message carries them.
inline std::string RunOf(const std::vector<std::string>& changes) {
  Result<std::string> run = dag::EncodeRunOfBytes(changes);
  if (!run.ok()) std::abort();
  return *run;
}

// The last Changes message, holding `count` changes in `payload`.
inline std::string ChangesFrame(std::string_view payload, uint32_t count,
                                std::string_view proofs = {}) {
  flatbuffers::FlatBufferBuilder builder;
  auto payload_bytes = WireBytes(&builder, payload);
  auto proof_bytes = WireBytes(&builder, proofs);
  builder.Finish(wire::CreateMessage(
      builder, wire::Body::Changes,
      wire::CreateChanges(builder, payload_bytes, count, true, proof_bytes)
          .Union()));
  return Frame(&builder);
}

// A full Summary claiming every actor of `claimed`.
inline std::string SummaryFrameOf(const std::vector<ActorState>& claimed) {
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<wire::ActorSeq>> actors;
  for (const ActorState& state : claimed) {
    actors.push_back(wire::CreateActorSeq(
        builder, WireBytes(&builder, state.actor.AsStringView()), state.seq,
        WireBytes(&builder, state.last_hash.AsStringView())));
  }
  builder.Finish(wire::CreateMessage(
      builder, wire::Body::Summary,
      wire::CreateSummary(builder, builder.CreateVector(actors)).Union()));
  return Frame(&builder);
}

inline std::string AckFrame() {
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(wire::CreateMessage(builder, wire::Body::Ack,
                                     wire::CreateAck(builder).Union()));
  return Frame(&builder);
}

// An Error message with `reason`.
inline std::string ErrorFrame(std::string_view reason) {
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(wire::CreateMessage(
      builder, wire::Body::Error,
      wire::CreateError(builder,
                        builder.CreateString(reason.data(), reason.size()))
          .Union()));
  return Frame(&builder);
}

}  // namespace weft::testing
