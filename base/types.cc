// Out-of-line parts of the public value types (Hash, ActorId, OpAction).
#include <cassert>

#include "base/hex.h"
#include "weft/change.h"
#include "weft/hash.h"

namespace weft {

std::string Hash::ToHex() const { return hex::Encode(bytes.data(), kSize); }

std::string Hash::Short(size_t length) const {
  return ToHex().substr(0, length);
}

Result<Hash> Hash::FromHex(std::string_view text) {
  Hash hash;
  if (!hex::Decode(text, hash.bytes.data(), kSize)) {
    return Status::InvalidArgument("not a 64-digit hex hash",
                                   std::string(text.substr(0, 80)));
  }
  return hash;
}

Hash Hash::FromBytes(std::string_view raw) {
  assert(raw.size() == kSize);
  Hash hash;
  std::memcpy(hash.bytes.data(), raw.data(), kSize);
  return hash;
}

bool Hash::IsZero() const {
  for (uint8_t byte : bytes) {
    if (byte != 0) return false;
  }
  return true;
}

Status ParseHexPrefix(std::string_view text, std::string* bytes,
                      int* trailing_nibble) {
  if (text.empty() || text.size() > 2 * Hash::kSize) {
    return Status::InvalidArgument("a hash prefix has 1 to 64 hex digits");
  }
  bytes->clear();
  *trailing_nibble = -1;
  for (size_t digit_idx = 0; digit_idx < text.size(); ++digit_idx) {
    int value = hex::DigitValue(text[digit_idx]);
    if (value < 0) {
      return Status::InvalidArgument("not a hex digit in hash prefix",
                                     std::string(text));
    }
    if (digit_idx % 2 == 0) {
      *trailing_nibble = value;
    } else {
      bytes->push_back(static_cast<char>(*trailing_nibble << 4 | value));
      *trailing_nibble = -1;
    }
  }
  return Status::OK();
}

std::string ActorId::ToHex() const { return hex::Encode(bytes.data(), kSize); }

Result<ActorId> ActorId::FromHex(std::string_view text) {
  ActorId actor;
  if (!hex::Decode(text, actor.bytes.data(), kSize)) {
    return Status::InvalidArgument("not a 32-digit hex actor id",
                                   std::string(text.substr(0, 80)));
  }
  return actor;
}

ActorId ActorId::FromBytes(std::string_view raw) {
  assert(raw.size() == kSize);
  ActorId actor;
  std::memcpy(actor.bytes.data(), raw.data(), kSize);
  return actor;
}

uint64_t OpWidth(const Op& op) {
  if (op.action != OpAction::kTextInsert) return 1;
  uint64_t code_points = 0;
  for (char byte : op.text) {
    code_points += (static_cast<uint8_t>(byte) & 0xC0) != 0x80;
  }
  return code_points;
}

uint64_t Change::EndOp() const {
  uint64_t width = 0;
  for (const Op& op : ops) width += OpWidth(op);
  return start_op + width - 1;
}

const char* FlavourName(Flavour flavour) {
  switch (flavour) {
    case Flavour::kDefault:
      return "default";
    case Flavour::kGrowOnly:
      return "grow_only";
    case Flavour::kTwoPhase:
      return "two_phase";
    case Flavour::kMultiValue:
      return "multi_value";
    case Flavour::kLastWriterWins:
      return "last_writer_wins";
  }
  return "unknown";
}

const char* OpActionName(OpAction action) {
  switch (action) {
    case OpAction::kDocCreate:
      return "doc_create";
    case OpAction::kDocDelete:
      return "doc_delete";
    case OpAction::kMapSet:
      return "map_set";
    case OpAction::kMapDelete:
      return "map_delete";
    case OpAction::kMakeMap:
      return "make_map";
    case OpAction::kMakeList:
      return "make_list";
    case OpAction::kMakeText:
      return "make_text";
    case OpAction::kMakeCounter:
      return "make_counter";
    case OpAction::kMakeSet:
      return "make_set";
    case OpAction::kCounterAdd:
      return "counter_add";
    case OpAction::kSetAdd:
      return "set_add";
    case OpAction::kSetRemove:
      return "set_remove";
    case OpAction::kListInsert:
      return "list_insert";
    case OpAction::kListDelete:
      return "list_delete";
    case OpAction::kTextInsert:
      return "text_insert";
    case OpAction::kTextDelete:
      return "text_delete";
  }
  return "unknown";
}

}  // namespace weft
