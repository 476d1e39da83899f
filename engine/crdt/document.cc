#include "engine/crdt/document.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>

#include "dag/change_limits.h"

namespace weft::engine {
namespace {

bool IsMake(OpAction action) {
  return action >= OpAction::kMakeMap && action <= OpAction::kMakeSet;
}

ObjectKind KindMadeBy(OpAction action) {
  switch (action) {
    case OpAction::kMakeList:
      return ObjectKind::kList;
    case OpAction::kMakeText:
      return ObjectKind::kText;
    case OpAction::kMakeCounter:
      return ObjectKind::kCounter;
    case OpAction::kMakeSet:
      return ObjectKind::kSet;
    default:
      return ObjectKind::kMap;
  }
}

}  // namespace

namespace {

template <typename T>
void InsertSorted(std::vector<T>* items, T item,
                  bool (*less)(const T&, const T&)) {
  items->insert(std::upper_bound(items->begin(), items->end(), item, less),
                std::move(item));
}

bool EntryLess(const MapEntry& a, const MapEntry& b) { return a.id < b.id; }
bool IdLess(const OpId& a, const OpId& b) { return a < b; }

bool Contains(const std::vector<OpId>& ids, const OpId& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

const char* ObjectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kMap:
      return "map";
    case ObjectKind::kList:
      return "list";
    case ObjectKind::kText:
      return "text";
    case ObjectKind::kCounter:
      return "counter";
    case ObjectKind::kSet:
      return "set";
  }
  return "unknown";
}

Document::Document() {
  auto root = std::make_unique<Object>();
  root->kind = ObjectKind::kMap;
  root->id = OpId();
  objects_.emplace(OpId(), std::move(root));
}

const Object* Document::Find(const OpId& object_id) const {
  auto it = objects_.find(object_id);
  return it == objects_.end() ? nullptr : it->second.get();
}

Object* Document::FindMutable(const OpId& object_id) {
  auto it = objects_.find(object_id);
  return it == objects_.end() ? nullptr : it->second.get();
}

Object* Document::FindKind(const OpId& object_id, ObjectKind kind) {
  Object* object = FindMutable(object_id);
  return object != nullptr && object->kind == kind ? object : nullptr;
}

bool Document::Exists() const {
  return !creates_.empty() || !root().map.keys.empty();
}

// Stored changes are replayed as they are: no depth check (none can fail).
void Document::ApplyChange(const Change& change, uint32_t doc_index) {
  ApplyOps(change, doc_index, /*depth_max=*/UINT32_MAX).PermitUncheckedError();
}

Status Document::ApplyReceivedChange(const Change& change, uint32_t doc_index) {
  return ApplyOps(change, doc_index, limits::kDocumentDepthMax);
}

Status Document::ApplyOps(const Change& change, uint32_t doc_index,
                          uint32_t depth_max) {
  uint64_t counter = change.start_op;
  for (const Op& op : change.ops) {
    if (op.doc == doc_index) {
      if (depth_max != UINT32_MAX && DepthOfMake(op) > depth_max) {
        return Status::InvalidArgument("the change nests objects deeper than " +
                                       std::to_string(depth_max) + " levels");
      }
      Apply(op, OpId{counter, change.actor});
    }
    counter += OpWidth(op);
  }
  return Status::OK();
}

uint32_t Document::DepthOfMake(const Op& op) const {
  if (!IsMake(op.action)) return 0;
  const Object* container = Find(op.obj);
  return container == nullptr ? 0 : container->depth + 1;
}

uint32_t Document::MaxDepth() const {
  uint32_t deepest = 0;
  for (const auto& [id, object] : objects_) {
    deepest = std::max(deepest, object->depth);
  }
  return deepest;
}

bool Document::ComputeDepths() {
  // Breadth first from the root, without recursion: stored bytes may nest
  // as deep as they like. Every object is made by one op and named by that
  // op's entry alone, so a state naming an object twice (or the root) is
  // damaged: rendering it would walk the shared object once per path, 2^n
  // times for n levels of two keys naming the same map.
  std::vector<Object*> level = {FindMutable(OpId())};
  std::unordered_map<OpId, bool, OpIdHasher> seen = {{OpId(), true}};
  bool each_named_once = true;
  for (auto& [id, object] : objects_) object->depth = 0;
  for (uint32_t depth = 1; !level.empty(); ++depth) {
    std::vector<Object*> next;
    auto visit = [&](const Value& value) {
      if (!value.is_object) return;
      if (!seen.emplace(value.object, true).second) {
        each_named_once = false;
        return;
      }
      if (Object* child = FindMutable(value.object); child != nullptr) {
        child->depth = depth;
        next.push_back(child);
      }
    };
    for (Object* object : level) {
      for (const auto& [key, entries] : object->map.keys) {
        for (const MapEntry& entry : entries) visit(entry.value);
      }
      for (const Value& value : object->list.values) visit(value);
    }
    level = std::move(next);
  }
  return each_named_once;
}

void Document::Apply(const Op& op, const OpId& id) {
  switch (op.action) {
    case OpAction::kDocCreate:
      InsertSorted(&creates_, id, IdLess);
      return;
    case OpAction::kDocDelete:
      ApplyDocDelete(op);
      return;
    case OpAction::kCounterAdd: {
      Object* counter = FindKind(op.obj, ObjectKind::kCounter);
      if (counter == nullptr) return;
      if (counter->flavour == Flavour::kGrowOnly && op.delta < 0) return;
      // Wrap rather than overflow: every replica wraps the same way.
      counter->counter.total =
          static_cast<int64_t>(static_cast<uint64_t>(counter->counter.total) +
                               static_cast<uint64_t>(op.delta));
      return;
    }
    case OpAction::kSetAdd:
    case OpAction::kSetRemove: {
      Object* set = FindKind(op.obj, ObjectKind::kSet);
      if (set != nullptr) ApplySet(set, op, id);
      return;
    }
    case OpAction::kTextInsert: {
      Object* text = FindKind(op.obj, ObjectKind::kText);
      if (text == nullptr) return;
      text->text.text.Insert(op.elem, id, Utf8ToUtf32(op.text))
          .PermitUncheckedError();  // a bad reference changes nothing
      return;
    }
    case OpAction::kTextDelete: {
      Object* text = FindKind(op.obj, ObjectKind::kText);
      if (text == nullptr) return;
      text->text.text.Delete(IdRun{op.elem, op.count}).PermitUncheckedError();
      return;
    }
    default:
      break;
  }
  // Map and list ops, and object creation inside either.
  Object* target = FindMutable(op.obj);
  if (target == nullptr) return;
  if (target->kind == ObjectKind::kMap) {
    ApplyToMap(target, op, id);
  } else if (target->kind == ObjectKind::kList) {
    ApplyToList(target, op, id);
  }
}

void Document::MakeObject(const Op& op, const OpId& id,
                          const Object& container) {
  auto object = std::make_unique<Object>();
  object->id = id;
  object->depth = container.depth + 1;
  object->kind = KindMadeBy(op.action);
  object->flavour = op.flavour;
  objects_.try_emplace(id, std::move(object));
}

void Document::ApplyToMap(Object* map, const Op& op, const OpId& id) {
  bool is_delete = op.action == OpAction::kMapDelete;
  if (!is_delete && op.action != OpAction::kMapSet && !IsMake(op.action)) {
    return;  // a list or text op aimed at a map
  }
  MapEntry entry{id, Value(), op.flavour, is_delete};
  if (IsMake(op.action)) {
    MakeObject(op, id, *map);
    entry.value.is_object = true;
    entry.value.object = id;
    entry.flavour = Flavour::kDefault;
  } else if (!is_delete) {
    entry.value.scalar = op.value;
  }
  std::vector<MapEntry>& entries = map->map.keys[op.key];
  if (map->flavour == Flavour::kLastWriterWins) {
    if (entries.empty() || entries.back().id < id) entries.assign(1, entry);
  } else {
    std::erase_if(entries, [&](const MapEntry& old) {
      return Contains(op.pred, old.id);
    });
    if (!is_delete) InsertSorted(&entries, entry, EntryLess);
  }
  if (entries.empty()) map->map.keys.erase(op.key);
}

void Document::ApplyToList(Object* list, const Op& op, const OpId& id) {
  ListObject& target = list->list;
  if (op.action == OpAction::kListDelete) {
    target.elements.Delete(IdRun{op.elem, op.count}).PermitUncheckedError();
    return;
  }
  if (op.action != OpAction::kListInsert && !IsMake(op.action)) return;
  Value value;
  if (IsMake(op.action)) {
    value.is_object = true;
    value.object = id;
  } else {
    value.scalar = op.value;
  }
  auto handle = static_cast<char32_t>(target.values.size());
  if (target.elements.Insert(op.elem, id, std::u32string(1, handle)).ok()) {
    target.values.push_back(std::move(value));
    if (IsMake(op.action)) MakeObject(op, id, *list);
  }
}

void Document::ApplySet(Object* set, const Op& op, const OpId& id) {
  std::string key = ScalarKey(op.value);
  SetObject& target = set->set;
  if (op.action == OpAction::kSetAdd) {
    if (set->flavour == Flavour::kTwoPhase && target.removed.count(key)) {
      return;  // two_phase: removed for good
    }
    InsertSorted(&target.members[key], id, IdLess);
    return;
  }
  if (set->flavour == Flavour::kGrowOnly) return;
  if (set->flavour == Flavour::kTwoPhase) {
    target.removed[key] = true;
    target.members.erase(key);
    return;
  }
  auto it = target.members.find(key);
  if (it == target.members.end()) return;
  std::erase_if(it->second,
                [&](const OpId& tag) { return Contains(op.pred, tag); });
  if (it->second.empty()) target.members.erase(it);
}

void Document::ApplyDocDelete(const Op& op) {
  std::erase_if(creates_,
                [&](const OpId& create) { return Contains(op.pred, create); });
  auto& keys = FindMutable(OpId())->map.keys;
  for (auto it = keys.begin(); it != keys.end();) {
    std::erase_if(it->second, [&](const MapEntry& entry) {
      return Contains(op.pred, entry.id);
    });
    it = it->second.empty() ? keys.erase(it) : std::next(it);
  }
}

std::vector<const MapEntry*> Document::Entries(const Object& map,
                                               const std::string& key) const {
  std::vector<const MapEntry*> visible;
  auto it = map.map.keys.find(key);
  if (it == map.map.keys.end()) return visible;
  for (const MapEntry& entry : it->second) {
    if (!entry.tombstone) visible.push_back(&entry);
  }
  return visible;
}

std::vector<OpId> Document::RootObservation() const {
  std::vector<OpId> seen = creates_;
  for (const auto& [key, entries] : root().map.keys) {
    for (const MapEntry& entry : entries) seen.push_back(entry.id);
  }
  std::sort(seen.begin(), seen.end());
  return seen;
}

std::string ScalarKey(const Scalar& value) {
  std::string key;
  switch (value.index()) {
    case 0:
      key.push_back(0);
      break;
    case 1:
      key.push_back(std::get<bool>(value) ? 2 : 1);
      break;
    case 2: {
      key.push_back(3);
      // Sign flipped, big-endian: byte order is numeric order.
      uint64_t bits =
          static_cast<uint64_t>(std::get<int64_t>(value)) ^ (uint64_t{1} << 63);
      for (int shift = 56; shift >= 0; shift -= 8) {
        key.push_back(static_cast<char>(bits >> shift));
      }
      break;
    }
    case 3: {
      key.push_back(4);
      uint64_t bits;
      double real = std::get<double>(value);
      std::memcpy(&bits, &real, sizeof(bits));
      for (int shift = 56; shift >= 0; shift -= 8) {
        key.push_back(static_cast<char>(bits >> shift));
      }
      break;
    }
    case 4:
      key.push_back(5);
      key += std::get<std::string>(value);
      break;
    default:
      key.push_back(6);
      key += std::get<Bytes>(value).data;
      break;
  }
  return key;
}

Result<Scalar> ScalarFromKey(std::string_view key) {
  if (key.empty()) return Status::Corruption("empty scalar");
  auto fixed64 = [&](uint64_t* bits) {
    if (key.size() != 9) return false;
    *bits = 0;
    for (int idx = 1; idx <= 8; ++idx) {
      *bits = *bits << 8 | static_cast<uint8_t>(key[idx]);
    }
    return true;
  };
  uint64_t bits;
  switch (key[0]) {
    case 0:
      if (key.size() == 1) return Scalar();
      break;
    case 1:
      if (key.size() == 1) return Scalar(false);
      break;
    case 2:
      if (key.size() == 1) return Scalar(true);
      break;
    case 3:
      if (fixed64(&bits)) {
        return Scalar(static_cast<int64_t>(bits ^ (uint64_t{1} << 63)));
      }
      break;
    case 4:
      if (fixed64(&bits)) {
        double real;
        std::memcpy(&real, &bits, sizeof(real));
        return Scalar(real);
      }
      break;
    case 5:
      return Scalar(std::string(key.substr(1)));
    case 6:
      return Scalar(Bytes{std::string(key.substr(1))});
  }
  return Status::Corruption("malformed scalar");
}

}  // namespace weft::engine
