// Change and Op: the unit of atomicity, hashing and sync, as the caller and
// the reader see it. dag/FORMAT.md describes the bytes these become.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "weft/hash.h"
#include "weft/status.h"

namespace weft {

// A replica's identity as an author of changes: 16 random bytes.
struct ActorId {
  static constexpr size_t kSize = 16;
  std::array<uint8_t, kSize> bytes{};

  std::string ToHex() const;
  static Result<ActorId> FromHex(std::string_view hex);
  // REQUIRES: raw.size() == kSize.
  static ActorId FromBytes(std::string_view raw);
  std::string_view AsStringView() const {
    return {reinterpret_cast<const char*>(bytes.data()), kSize};
  }
  friend bool operator==(const ActorId&, const ActorId&) = default;
  friend auto operator<=>(const ActorId&, const ActorId&) = default;
};

// Operation id (lamport counter, actor): totally ordered, counter first.
// Counter 0 never names an op: it stands for "the document root" as an
// object and for "the start of the sequence" as a list position.
struct OpId {
  uint64_t counter = 0;
  ActorId actor;
  bool IsRoot() const { return counter == 0; }
  friend bool operator==(const OpId&, const OpId&) = default;
  friend auto operator<=>(const OpId&, const OpId&) = default;
};

// Which semantics an object (or a register) has, chosen when it is made.
enum class Flavour : uint8_t {
  kDefault = 0,         // map: merge; counter: PN; set: OR (add-wins);
                        // register: last writer wins, losers readable
  kGrowOnly = 1,        // counter: negative deltas rejected; set: no removes
  kTwoPhase = 2,        // set: a removed element can never return
  kMultiValue = 3,      // register: all concurrent values are the value
  kLastWriterWins = 4,  // map: per key the highest op id wins, deletes too
};
constexpr uint8_t kFlavourMax = 4;
const char* FlavourName(Flavour flavour);

// An opaque byte string, kept apart from text (which must be UTF-8).
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

// A register's value.
using Scalar =
    std::variant<std::monostate, bool, int64_t, double, std::string, Bytes>;

// What an op does (dag/FORMAT.md gives each one's fields).
enum class OpAction : uint8_t {
  kDocCreate = 0,  // create document docs[doc]
  kDocDelete = 1,  // delete document docs[doc] (observed-remove)
  kMapSet = 2,     // obj[key] = value (a register)
  kMapDelete = 3,  // delete obj[key]
  kMakeMap = 4,    // obj[key] (or after elem in a list) = new map
  kMakeList = 5,
  kMakeText = 6,
  kMakeCounter = 7,
  kMakeSet = 8,
  kCounterAdd = 9,   // counter obj[key] += delta
  kSetAdd = 10,      // add value to set obj
  kSetRemove = 11,   // remove value from set obj
  kListInsert = 12,  // insert value after elem in list obj
  kListDelete =
      13,  // delete elements (elem.counter + i, elem.actor), i < count
  kTextInsert = 14,  // insert text after elem in text obj (see OpWidth)
  kTextDelete =
      15,  // delete characters (elem.counter + i, elem.actor), i < count
};
// The largest OpAction, and each one's name ("map_set") for output.
constexpr uint8_t kOpActionMax = 15;
const char* OpActionName(OpAction action);

// One operation of a change, on one object of one document.
struct Op {
  OpAction action = OpAction::kMapSet;
  uint32_t doc = 0;        // index into Change::docs
  OpId obj;                // the object the op acts on; root when IsRoot()
  std::string key;         // map key
  OpId elem;               // list/text position (see OpAction)
  Scalar value;            // register, set member or list element
  int64_t delta = 0;       // counter increment
  uint32_t count = 0;      // run length of a list/text delete
  std::string text;        // text inserted (UTF-8)
  std::vector<OpId> pred;  // ops this one supersedes (LWW, observed-remove)
  Flavour flavour = Flavour::kDefault;  // make_* and map_set only
};

// How many op counters an op uses: a text insert one per code point (its
// i-th character has id (op counter + i, actor)); every other op one.
// REQUIRES: op.text is valid UTF-8.
uint64_t OpWidth(const Op& op);

// A document's address: collection/key.
struct DocRef {
  std::string collection;
  std::string key;
  friend bool operator==(const DocRef&, const DocRef&) = default;
};

struct Change {
  std::vector<Hash> parents;  // the heads it was made on
  ActorId actor;
  uint64_t seq = 0;       // per actor: 1, 2, 3, ...
  uint64_t start_op = 0;  // lamport counter of ops[0]; each op then takes
                          // OpWidth(op) counters, in order
  int64_t time_ms = 0;    // wall clock, informational only
  std::string message;
  std::vector<DocRef> docs;
  std::vector<Op> ops;
  // The author's Ed25519 public key (32 bytes) in its first change (seq 1),
  // whose actor it names (dag/FORMAT.md, "Signed authorship"); else empty.
  std::string author_key;

  // The last counter the ops use, or start_op - 1 for a change without ops.
  uint64_t EndOp() const;
};

// What a caller supplies to commit: the engine fills parents, actor, seq,
// start_op and time.
struct ChangeDraft {
  std::vector<DocRef> docs;
  std::vector<Op> ops;
  std::string message;
};

}  // namespace weft
