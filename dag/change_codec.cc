#include "dag/change_codec.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "change_generated.h"
#include "dag/authorship.h"
#include "dag/sha256.h"

namespace weft::dag {
namespace {

// A change names few actors (usually one): a vector beats a map here.
using ActorTable = std::vector<ActorId>;

uint32_t ActorIndex(const ActorId& actor, ActorTable* table,
                    std::vector<fb::ActorId>* ordered) {
  for (size_t actor_idx = 0; actor_idx < table->size(); ++actor_idx) {
    if ((*table)[actor_idx] == actor) return static_cast<uint32_t>(actor_idx);
  }
  table->push_back(actor);
  ordered->emplace_back(flatbuffers::span<const uint8_t, ActorId::kSize>(
      actor.bytes.data(), ActorId::kSize));
  return static_cast<uint32_t>(ordered->size() - 1);
}

fb::OpRef EncodeRef(const OpId& id, ActorTable* table,
                    std::vector<fb::ActorId>* ordered) {
  // The root and the sequence start carry no actor: keep them all-zero.
  if (id.IsRoot()) return fb::OpRef(0, 0);
  return fb::OpRef(id.counter, ActorIndex(id.actor, table, ordered));
}

flatbuffers::Offset<fb::Op> EncodeOp(flatbuffers::FlatBufferBuilder& fbb,
                                     const Op& op, ActorTable* table,
                                     std::vector<fb::ActorId>* ordered) {
  fb::OpRef obj = EncodeRef(op.obj, table, ordered);
  fb::OpRef elem = EncodeRef(op.elem, table, ordered);
  std::vector<fb::OpRef> pred;
  pred.reserve(op.pred.size());
  for (const OpId& id : op.pred) pred.push_back(EncodeRef(id, table, ordered));

  // Children first: FlatBuffers cannot nest the building of tables.
  auto key = op.key.empty() ? 0 : fbb.CreateString(op.key);
  auto text = op.text.empty() ? 0 : fbb.CreateString(op.text);
  auto pred_vec = pred.empty() ? 0 : fbb.CreateVectorOfStructs(pred);
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> bytes_value = 0;
  fb::ScalarKind kind = static_cast<fb::ScalarKind>(op.value.index());
  int64_t int_value = 0;
  double double_value = 0;
  if (const bool* flag = std::get_if<bool>(&op.value)) int_value = *flag;
  if (const int64_t* number = std::get_if<int64_t>(&op.value)) {
    int_value = *number;
  }
  if (const double* real = std::get_if<double>(&op.value)) {
    double_value = *real;
  }
  const std::string* raw = std::get_if<std::string>(&op.value);
  if (const Bytes* blob = std::get_if<Bytes>(&op.value)) raw = &blob->data;
  if (raw != nullptr) {
    bytes_value = fbb.CreateVector(
        reinterpret_cast<const uint8_t*>(raw->data()), raw->size());
  }

  fb::OpBuilder builder(fbb);
  builder.add_action(static_cast<fb::Action>(op.action));
  builder.add_doc(op.doc);
  builder.add_obj(&obj);
  builder.add_key(key);
  builder.add_elem(&elem);
  builder.add_kind(kind);
  builder.add_int_value(int_value);
  builder.add_double_value(double_value);
  builder.add_bytes_value(bytes_value);
  builder.add_delta(op.delta);
  builder.add_count(op.count);
  builder.add_text(text);
  builder.add_pred(pred_vec);
  builder.add_flavour(static_cast<uint8_t>(op.flavour));
  return builder.Finish();
}

std::string_view View(const flatbuffers::String* text) {
  return text == nullptr ? std::string_view()
                         : std::string_view(text->c_str(), text->size());
}

Status DecodeRef(const fb::OpRef& ref, const std::vector<ActorId>& actors,
                 OpId* id) {
  if (ref.counter() == 0) {
    if (ref.actor() != 0) return Status::Corruption("root op id with an actor");
    *id = OpId();
    return Status::OK();
  }
  if (ref.actor() >= actors.size()) {
    return Status::Corruption("op id names actor index out of range");
  }
  id->counter = ref.counter();
  id->actor = actors[ref.actor()];
  return Status::OK();
}

Status DecodeScalar(const fb::Op& in, Scalar* value) {
  const auto* raw = in.bytes_value();
  std::string bytes =
      raw == nullptr ? std::string()
                     : std::string(reinterpret_cast<const char*>(raw->data()),
                                   raw->size());
  switch (in.kind()) {
    case fb::ScalarKind::Null:
      *value = std::monostate();
      break;
    case fb::ScalarKind::Bool:
      if (in.int_value() != 0 && in.int_value() != 1) {
        return Status::Corruption("bool value is neither 0 nor 1");
      }
      *value = in.int_value() == 1;
      break;
    case fb::ScalarKind::Int:
      *value = in.int_value();
      break;
    case fb::ScalarKind::Double:
      *value = in.double_value();
      break;
    case fb::ScalarKind::String:
      *value = std::move(bytes);
      break;
    case fb::ScalarKind::Bytes:
      *value = Bytes{std::move(bytes)};
      break;
    default:
      return Status::Corruption("unknown scalar kind");
  }
  return Status::OK();
}

Status DecodeOp(const fb::Op& in, const std::vector<ActorId>& actors, Op* op) {
  if (static_cast<uint8_t>(in.action()) > kOpActionMax) {
    return Status::Corruption("unknown op action");
  }
  op->action = static_cast<OpAction>(in.action());
  op->doc = in.doc();
  static const fb::OpRef kRoot(0, 0);
  WEFT_RETURN_IF_ERROR(
      DecodeRef(in.obj() ? *in.obj() : kRoot, actors, &op->obj));
  WEFT_RETURN_IF_ERROR(
      DecodeRef(in.elem() ? *in.elem() : kRoot, actors, &op->elem));
  op->key.assign(View(in.key()));
  WEFT_RETURN_IF_ERROR(DecodeScalar(in, &op->value));
  if (in.flavour() > kFlavourMax) return Status::Corruption("unknown flavour");
  op->flavour = static_cast<Flavour>(in.flavour());
  op->delta = in.delta();
  op->count = in.count();
  op->text.assign(View(in.text()));
  if (in.pred() != nullptr) {
    if (in.pred()->size() > limits::kPredCountMax) {
      return Status::InvalidArgument("op supersedes too many ops");
    }
    op->pred.resize(in.pred()->size());
    for (uint32_t pred_idx = 0; pred_idx < in.pred()->size(); ++pred_idx) {
      // The verifier aligns a vector's length, not its 8-byte structs: a
      // hostile buffer may misalign them, so copy each out before reading.
      fb::OpRef ref;
      std::memcpy(&ref, in.pred()->Get(pred_idx), sizeof(ref));
      WEFT_RETURN_IF_ERROR(DecodeRef(ref, actors, &op->pred[pred_idx]));
    }
  }
  return Status::OK();
}

Status CheckName(std::string_view name, const char* what) {
  if (name.size() > limits::kKeyBytesMax) {
    return Status::InvalidArgument(what, "longer than 4096 bytes");
  }
  if (!IsValidUtf8(name)) return Status::InvalidArgument(what, "not UTF-8");
  return Status::OK();
}

// An op may only refer to ops that precede it: ids below its own.
Status CheckRef(const OpId& ref, uint64_t own_counter, const char* what) {
  if (!ref.IsRoot() && ref.counter >= own_counter) {
    return Status::InvalidArgument(what, "refers to an op that is not older");
  }
  return Status::OK();
}

Status ValidateOp(const Change& change, const Op& op, uint64_t own_counter) {
  if (op.doc >= change.docs.size()) {
    return Status::InvalidArgument("op names a document index out of range");
  }
  WEFT_RETURN_IF_ERROR(CheckName(op.key, "map key"));
  WEFT_RETURN_IF_ERROR(CheckRef(op.obj, own_counter, "op object"));
  WEFT_RETURN_IF_ERROR(CheckRef(op.elem, own_counter, "op position"));
  if (op.pred.size() > limits::kPredCountMax) {
    return Status::InvalidArgument("op supersedes too many ops");
  }
  for (const OpId& pred : op.pred) {
    if (pred.IsRoot()) return Status::InvalidArgument("op supersedes op 0");
    WEFT_RETURN_IF_ERROR(CheckRef(pred, own_counter, "op predecessor"));
  }
  const std::string* text = std::get_if<std::string>(&op.value);
  if (text != nullptr && !IsValidUtf8(*text)) {
    return Status::InvalidArgument("string value is not UTF-8");
  }
  if (!IsValidUtf8(op.text)) {
    return Status::InvalidArgument("inserted text is not UTF-8");
  }
  bool is_delete =
      op.action == OpAction::kListDelete || op.action == OpAction::kTextDelete;
  if (is_delete && op.count == 0) {
    return Status::InvalidArgument("a sequence delete of 0 elements");
  }
  if (op.action == OpAction::kTextInsert && op.text.empty()) {
    return Status::InvalidArgument("a text insert without text");
  }
  if (!FlavourFits(op.action, op.flavour)) {
    return Status::InvalidArgument("flavour does not fit the op",
                                   FlavourName(op.flavour));
  }
  return Status::OK();
}

// An actor's first change names its key, whose hash is the actor; no
// other change carries one (authorship.h).
Status CheckAuthorKey(const Change& change) {
  if (change.seq != 1) {
    if (change.author_key.empty()) return Status::OK();
    return Status::InvalidArgument("only an actor's first change (seq 1) " +
                                   std::string("carries its key"));
  }
  if (change.author_key.size() != kAuthorKeySize) {
    return Status::InvalidArgument(
        "an actor's first change must carry its 32-byte key (it has " +
        std::to_string(change.author_key.size()) + " bytes)");
  }
  if (ActorOfKey(change.author_key) != change.actor) {
    return Status::InvalidArgument("the key in change seq 1 does not name " +
                                   std::string("its actor ") +
                                   change.actor.ToHex());
  }
  return Status::OK();
}

}  // namespace

Status ValidateChange(const Change& change, size_t change_bytes_max) {
  (void)change_bytes_max;  // Checked on the encoded bytes by the caller.
  if (change.parents.size() > limits::kParentsCountMax) {
    return Status::InvalidArgument("change has more than 1024 parents");
  }
  std::vector<Hash> parents = change.parents;
  std::sort(parents.begin(), parents.end());
  if (std::adjacent_find(parents.begin(), parents.end()) != parents.end()) {
    return Status::InvalidArgument("change lists a parent twice");
  }
  if (change.seq == 0) return Status::InvalidArgument("change seq is 0");
  WEFT_RETURN_IF_ERROR(CheckAuthorKey(change));
  if (change.start_op == 0) {
    return Status::InvalidArgument("change start_op is 0");
  }
  // Every op uses at least one counter and a text insert at most one per
  // byte, so the total width is bounded by the change's size.
  if (change.ops.size() > limits::kOpsCountMax ||
      change.start_op >= limits::kOpCounterMax - limits::kChangeBytesCeiling) {
    return Status::InvalidArgument("change op counters out of range");
  }
  if (change.docs.size() > limits::kDocsCountMax) {
    return Status::InvalidArgument("change names too many documents");
  }
  if (change.message.size() > limits::kMessageBytesMax ||
      !IsValidUtf8(change.message)) {
    return Status::InvalidArgument("change message too long or not UTF-8");
  }
  for (const DocRef& doc : change.docs) {
    if (doc.collection.empty() || doc.key.empty()) {
      return Status::InvalidArgument("document with an empty collection/key");
    }
    WEFT_RETURN_IF_ERROR(CheckName(doc.collection, "collection"));
    WEFT_RETURN_IF_ERROR(CheckName(doc.key, "document key"));
  }
  uint64_t counter = change.start_op;
  for (const Op& op : change.ops) {
    WEFT_RETURN_IF_ERROR(ValidateOp(change, op, counter));
    counter += OpWidth(op);
  }
  return Status::OK();
}

EncodedChange EncodeChange(const Change& change) {
  assert(ValidateChange(change).ok());
  // One builder per thread, reused: building is then allocation-free for
  // changes no larger than the biggest one this thread built before.
  thread_local flatbuffers::FlatBufferBuilder fbb(1024);
  fbb.Clear();
  ActorTable table;
  std::vector<fb::ActorId> actors;
  ActorIndex(change.actor, &table, &actors);  // actors[0] is the author

  std::vector<flatbuffers::Offset<fb::Op>> ops;
  ops.reserve(change.ops.size());
  for (const Op& op : change.ops) {
    ops.push_back(EncodeOp(fbb, op, &table, &actors));
  }
  std::vector<flatbuffers::Offset<fb::DocRef>> docs;
  docs.reserve(change.docs.size());
  for (const DocRef& doc : change.docs) {
    docs.push_back(fb::CreateDocRef(fbb, fbb.CreateString(doc.collection),
                                    fbb.CreateString(doc.key)));
  }
  std::vector<fb::Hash> parents;
  parents.reserve(change.parents.size());
  for (const Hash& parent : change.parents) {
    parents.emplace_back(flatbuffers::span<const uint8_t, Hash::kSize>(
        parent.bytes.data(), Hash::kSize));
  }
  auto root = fb::CreateChange(
      fbb, parents.empty() ? 0 : fbb.CreateVectorOfStructs(parents),
      fbb.CreateVectorOfStructs(actors), change.seq, change.start_op,
      change.time_ms,
      change.message.empty() ? 0 : fbb.CreateString(change.message),
      docs.empty() ? 0 : fbb.CreateVector(docs),
      ops.empty() ? 0 : fbb.CreateVector(ops),
      change.author_key.empty()
          ? 0
          : fbb.CreateVector(
                reinterpret_cast<const uint8_t*>(change.author_key.data()),
                change.author_key.size()));
  fb::FinishChangeBuffer(fbb, root);

  EncodedChange encoded;
  encoded.bytes.assign(reinterpret_cast<const char*>(fbb.GetBufferPointer()),
                       fbb.GetSize());
  encoded.hash = Sha256(encoded.bytes);
  if (fbb.GetSize() > (1u << 20)) fbb.Reset();  // keep no big buffer around
  return encoded;
}

namespace {

// The verified root of `bytes`; `aligned` holds a copy when needed.
Result<const fb::Change*> VerifiedRoot(std::string_view bytes,
                                       std::string* aligned) {
  // FlatBuffers reads scalars in place: give it an 8-byte aligned copy when
  // the caller's bytes sit at an odd address (e.g. inside a network frame).
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0) {
    aligned->assign(bytes);
    bytes = *aligned;
  }
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() < 8 || !fb::ChangeBufferHasIdentifier(data)) {
    return Status::Corruption("not a weft change (bad size or identifier)");
  }
  flatbuffers::Verifier verifier(data, bytes.size(), /*max_depth=*/16,
                                 /*max_tables=*/2 * limits::kOpsCountMax);
  if (!fb::VerifyChangeBuffer(verifier)) {
    return Status::Corruption("change fails FlatBuffers verification");
  }
  return fb::GetChange(data);
}

}  // namespace

Status PeekAuthor(std::string_view bytes, ActorId* actor, uint64_t* seq) {
  std::string aligned;
  WEFT_ASSIGN_OR_RETURN(const fb::Change* in, VerifiedRoot(bytes, &aligned));
  if (in->actors() == nullptr || in->actors()->size() == 0) {
    return Status::Corruption("change has no author");
  }
  std::memcpy(actor->bytes.data(), in->actors()->Get(0)->bytes()->Data(),
              ActorId::kSize);
  *seq = in->seq();
  return Status::OK();
}

Result<Change> DecodeChange(std::string_view bytes, size_t change_bytes_max) {
  if (bytes.size() > change_bytes_max) {
    return Status::InvalidArgument("change is " + std::to_string(bytes.size()) +
                                   " bytes, over the limit of " +
                                   std::to_string(change_bytes_max));
  }
  std::string aligned;
  WEFT_ASSIGN_OR_RETURN(const fb::Change* in, VerifiedRoot(bytes, &aligned));

  Change change;
  if (in->actors() == nullptr || in->actors()->size() == 0) {
    return Status::Corruption("change has no author");
  }
  if (in->actors()->size() > limits::kActorsCountMax) {
    return Status::InvalidArgument("change references too many actors");
  }
  std::vector<ActorId> actors(in->actors()->size());
  for (uint32_t actor_idx = 0; actor_idx < actors.size(); ++actor_idx) {
    const auto* raw = in->actors()->Get(actor_idx)->bytes();
    std::memcpy(actors[actor_idx].bytes.data(), raw->Data(), ActorId::kSize);
  }
  change.actor = actors[0];
  if (in->parents() != nullptr) {
    if (in->parents()->size() > limits::kParentsCountMax) {
      return Status::InvalidArgument("change has more than 1024 parents");
    }
    change.parents.resize(in->parents()->size());
    for (uint32_t parent_idx = 0; parent_idx < in->parents()->size();
         ++parent_idx) {
      std::memcpy(change.parents[parent_idx].bytes.data(),
                  in->parents()->Get(parent_idx)->bytes()->Data(), Hash::kSize);
    }
  }
  change.seq = in->seq();
  change.start_op = in->start_op();
  change.time_ms = in->time_ms();
  change.message.assign(View(in->message()));
  if (in->author_key() != nullptr) {
    change.author_key.assign(
        reinterpret_cast<const char*>(in->author_key()->data()),
        in->author_key()->size());
  }
  if (in->docs() != nullptr) {
    if (in->docs()->size() > limits::kDocsCountMax) {
      return Status::InvalidArgument("change names too many documents");
    }
    for (const fb::DocRef* doc : *in->docs()) {
      change.docs.push_back(DocRef{std::string(View(doc->collection())),
                                   std::string(View(doc->key()))});
    }
  }
  if (in->ops() != nullptr) {
    if (in->ops()->size() > limits::kOpsCountMax) {
      return Status::InvalidArgument("change has too many ops");
    }
    change.ops.resize(in->ops()->size());
    for (uint32_t op_idx = 0; op_idx < in->ops()->size(); ++op_idx) {
      WEFT_RETURN_IF_ERROR(
          DecodeOp(*in->ops()->Get(op_idx), actors, &change.ops[op_idx]));
    }
  }
  WEFT_RETURN_IF_ERROR(ValidateChange(change, change_bytes_max));
  return change;
}

Result<Change> DecodeCanonicalChange(std::string_view bytes,
                                     size_t change_bytes_max) {
  WEFT_ASSIGN_OR_RETURN(Change change, DecodeChange(bytes, change_bytes_max));
  if (EncodeChange(change).bytes != bytes) {
    return Status::InvalidArgument(
        "change bytes are not in canonical form (they decode to a change "
        "that encodes to other bytes)");
  }
  return change;
}

bool FlavourFits(OpAction action, Flavour flavour) {
  switch (flavour) {
    case Flavour::kDefault:
      return true;
    case Flavour::kGrowOnly:
      return action == OpAction::kMakeCounter || action == OpAction::kMakeSet;
    case Flavour::kTwoPhase:
      return action == OpAction::kMakeSet;
    case Flavour::kMultiValue:
      return action == OpAction::kMapSet;
    case Flavour::kLastWriterWins:
      return action == OpAction::kMakeMap;
  }
  return false;
}

bool IsValidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  size_t size = text.size();
  size_t pos = 0;
  while (pos < size) {
    // Eight ASCII bytes at a time: text is mostly ASCII.
    uint64_t word;
    if (size - pos >= sizeof(word)) {
      std::memcpy(&word, bytes + pos, sizeof(word));
      if ((word & 0x8080808080808080u) == 0) {
        pos += sizeof(word);
        continue;
      }
    }
    unsigned char lead = bytes[pos];
    if (lead < 0x80) {
      ++pos;
      continue;
    }
    size_t length;
    uint32_t code_point;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (size - pos < length) return false;
    for (size_t byte_idx = 1; byte_idx < length; ++byte_idx) {
      unsigned char next = bytes[pos + byte_idx];
      if ((next & 0xC0) != 0x80) return false;
      code_point = code_point << 6 | (next & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length]) return false;  // overlong
    if (code_point > 0x10FFFF) return false;
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;
    pos += length;
  }
  return true;
}

}  // namespace weft::dag
