// Document: one JSON-like document whose every node is a CRDT (DESIGN.md
// §3). Applying the same set of ops in any causal order gives the same
// state, and Serialize() the same bytes.
//
// Semantics, for every concurrent case:
// - map key (register): each set names the values it saw (pred) and removes
//   only those; concurrent sets all stay. The value is the one with the
//   highest op id; the others are readable as conflicts. A multi_value
//   register shows all of them. A delete removes only what it saw, so a
//   concurrent set survives (observed-remove).
// - last_writer_wins map: per key only the highest op id counts, a delete
//   included: a later delete beats an earlier set and vice versa.
// - nested objects made concurrently at one key: both stay; maps read as
//   their merge (per key the highest op id across them), counters as their
//   sum; for other kinds the highest op id wins.
// - type conflicts (a string set where another replica made a counter):
//   the highest op id decides what the key holds; nothing is lost, the
//   others stay readable as conflicts.
// - counter: the sum of all increments (PN); grow_only ignores negative
//   deltas (transactions reject them).
// - set: OR-set, add-wins (a remove removes the adds it saw); grow_only
//   ignores removes; two_phase: once removed an element never returns.
// - list/text: RGA (engine/crdt/sequence.h).
// - document delete: observed-remove of the root's entries and creates it
//   saw; a concurrent set of a root key survives. Objects under a removed
//   key are no longer reachable, even if edited concurrently.
// Ops that name unknown objects or objects of another kind can only come
// from a broken peer; every replica ignores them in the same way.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/utf.h"
#include "engine/crdt/sequence.h"
#include "weft/change.h"
#include "weft/status.h"

namespace weft::engine {

struct OpIdHasher {
  size_t operator()(const OpId& id) const {
    size_t actor_bits;
    std::memcpy(&actor_bits, id.actor.bytes.data(), sizeof(actor_bits));
    return actor_bits ^ (id.counter * 0x9E3779B97F4A7C15ULL);
  }
};

enum class ObjectKind : uint8_t { kMap, kList, kText, kCounter, kSet };
const char* ObjectKindName(ObjectKind kind);

// What a map key or list element holds: a scalar or a nested object.
struct Value {
  bool is_object = false;
  Scalar scalar;
  OpId object;
};

// One op that set a map key and is still visible.
struct MapEntry {
  OpId id;
  Value value;
  Flavour flavour = Flavour::kDefault;  // multi_value registers
  bool tombstone = false;               // a delete, in last_writer_wins maps
};

struct MapObject {
  std::map<std::string, std::vector<MapEntry>> keys;  // entries by id
};
struct ListObject {
  Sequence elements;          // content: handles into values
  std::vector<Value> values;  // by handle
};
struct TextObject {
  Sequence text;  // content: code points
};
struct CounterObject {
  int64_t total = 0;
};
struct SetObject {
  // canonical scalar bytes -> the add ops still standing for it
  std::map<std::string, std::vector<OpId>> members;
  std::map<std::string, bool> removed;  // two_phase: removed for good
};

struct Object {
  OpId id;  // the op that made it; root for the document root
  ObjectKind kind;
  uint32_t depth = 0;  // the root 0, an object at one of its keys 1, ...
  Flavour flavour = Flavour::kDefault;
  MapObject map;
  ListObject list;
  TextObject text;
  CounterObject counter;
  SetObject set;
};

// A serialized state read in place, without building the document, for
// the common row: the root map is its only object. What a scan checks
// against a predicate before it decodes a document that matches.
class RootMapPeek {
 public:
  // False when the state is not such a row, or its bytes do not read
  // (Document::Deserialize then tells why).
  bool Parse(std::string_view state);
  // Document::Exists of the state.
  bool exists() const { return exists_; }
  // The entries at root key `key` that are not deleted: *visible of them;
  // when there is one, a scalar without the multi-value flavour, *plain is
  // set and *scalar holds it. False if the entries do not read.
  bool Lookup(std::string_view key, size_t* visible, bool* plain,
              Scalar* scalar) const;

 private:
  struct Key {
    std::string_view name;
    uint64_t entries = 0;
    std::string_view bytes;  // the entries
  };
  uint64_t actor_count_ = 0;
  bool exists_ = false;
  std::vector<Key> keys_;  // the root's, sorted as serialized
};

class Document {
 public:
  Document();
  Document(Document&&) = default;
  Document& operator=(Document&&) = default;

  // Applies op `op` whose id is `id`. Total: never fails; ops that make no
  // sense are ignored (see above).
  void Apply(const Op& op, const OpId& id);
  // Applies every op of `change` that concerns document `doc_index`.
  void ApplyChange(const Change& change, uint32_t doc_index);
  // The same, for a change from outside: InvalidArgument (and the document
  // half-changed: the caller drops it) if an op would make an object
  // deeper than limits::kDocumentDepthMax.
  Status ApplyReceivedChange(const Change& change, uint32_t doc_index);
  // The deepest object (a state stored before the depth limit may be
  // deeper than limits::kDocumentDepthMax).
  uint32_t MaxDepth() const;

  // True once created or written, until deleted.
  bool Exists() const;
  const Object* Find(const OpId& object_id) const;
  const Object& root() const { return *Find(OpId()); }
  // The visible entries of a map key, by ascending id (the last one wins).
  // Empty if none; skips last_writer_wins tombstones.
  std::vector<const MapEntry*> Entries(const Object& map,
                                       const std::string& key) const;
  // The op ids the document's current state depends on at its root:
  // what a document delete must name to remove what it sees.
  std::vector<OpId> RootObservation() const;

  // Canonical bytes: equal states give equal bytes (format in
  // engine/FORMAT.md). Deserialize verifies; Corruption on bad bytes.
  std::string Serialize() const;
  static Result<Document> Deserialize(std::string_view bytes);

  // The whole document, one value, or a map key as a reader sees it
  // (concurrent values rendered together: merged maps, summed counters,
  // multi_value arrays), as JSON values (engine/json/) and as JSON text.
  nlohmann::json ToJsonValue() const;
  nlohmann::json ValueJson(const Value& value) const;
  std::optional<nlohmann::json> KeyJson(const Object& map,
                                        const std::string& key) const;
  std::string ToJson() const;
  std::string ValueToJson(const Value& value) const;
  struct Rendered {
    bool found = false;
    std::string json;
  };
  Rendered KeyToJson(const Object& map, const std::string& key) const;

 private:
  Object* FindMutable(const OpId& object_id);
  Object* FindKind(const OpId& object_id, ObjectKind kind);
  void ApplyToMap(Object* map, const Op& op, const OpId& id);
  void ApplyToList(Object* list, const Op& op, const OpId& id);
  // Applies the ops of `change` for `doc_index`; InvalidArgument at the
  // first that would make an object deeper than `depth_max`.
  Status ApplyOps(const Change& change, uint32_t doc_index, uint32_t depth_max);
  // How deep an object made by `op` would be; 0 if `op` makes none.
  uint32_t DepthOfMake(const Op& op) const;
  void MakeObject(const Op& op, const OpId& id, const Object& container);
  // Sets every object's depth from the root's (after Deserialize); false if
  // an object reachable from the root is named twice, or the root named.
  bool ComputeDepths();
  void ApplySet(Object* set, const Op& op, const OpId& id);
  void ApplyDocDelete(const Op& op);

  std::unordered_map<OpId, std::unique_ptr<Object>, OpIdHasher> objects_;
  std::vector<OpId> creates_;  // doc_create ops not yet deleted
};

// Canonical bytes of a scalar: a type tag, then the value (set keys).
std::string ScalarKey(const Scalar& value);
Result<Scalar> ScalarFromKey(std::string_view key);

}  // namespace weft::engine
