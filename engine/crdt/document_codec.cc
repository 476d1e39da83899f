// Document::Serialize / Deserialize: the canonical bytes of a document's
// state (format in engine/FORMAT.md). Its JSON rendering: document_json.cc.
#include <algorithm>
#include <set>

#include "base/hex.h"
#include "base/varint.h"
#include "dag/change_codec.h"
#include "engine/crdt/document.h"

namespace weft::engine {
namespace {

constexpr uint8_t kStateVersion = 1;

void PutBytes(std::string* out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out->append(bytes);
}

}  // namespace

namespace {

// Writes op ids as (counter, actor index) against a sorted actor table.
class StateWriter {
 public:
  explicit StateWriter(const std::set<ActorId>& actors) {
    uint32_t index = 0;
    for (const ActorId& actor : actors) index_[actor] = index++;
  }
  void Id(std::string* out, const OpId& id) const {
    PutVarint(out, id.counter);
    if (!id.IsRoot()) PutVarint(out, index_.at(id.actor));
  }
  void Val(std::string* out, const Value& value) const {
    out->push_back(value.is_object ? 1 : 0);
    if (value.is_object) {
      Id(out, value.object);
    } else {
      PutBytes(out, ScalarKey(value.scalar));
    }
  }

 private:
  std::map<ActorId, uint32_t> index_;
};

class StateReader {
 public:
  explicit StateReader(std::string_view in) : in_(in) {}
  bool Varint(uint64_t* value) { return GetVarint(&in_, value); }
  bool Byte(uint8_t* value) {
    if (in_.empty()) return false;
    *value = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool Bytes(std::string_view* bytes) {
    uint64_t size;
    if (!Varint(&size) || size > in_.size()) return false;
    *bytes = in_.substr(0, size);
    in_.remove_prefix(size);
    return true;
  }
  // A count of items that each take at least one byte: bounded by input.
  bool Count(uint64_t* count) { return Varint(count) && *count <= in_.size(); }
  bool Id(const std::vector<ActorId>& actors, OpId* id) {
    uint64_t actor;
    if (!Varint(&id->counter)) return false;
    if (id->IsRoot()) {
      id->actor = ActorId();
      return true;
    }
    if (!Varint(&actor) || actor >= actors.size()) return false;
    id->actor = actors[actor];
    return true;
  }
  bool Val(const std::vector<ActorId>& actors, Value* value) {
    uint8_t tag;
    if (!Byte(&tag) || tag > 1) return false;
    value->is_object = tag == 1;
    if (value->is_object) return Id(actors, &value->object);
    std::string_view key;
    if (!Bytes(&key)) return false;
    return ReadScalar(key, &value->scalar);
  }
  // Decodes `key`'s scalar. Strings are UTF-8 everywhere a change can put
  // them: stored bytes that say otherwise are damaged (and could not be
  // rendered as JSON).
  static bool ReadScalar(std::string_view key, Scalar* scalar) {
    Result<Scalar> decoded = ScalarFromKey(key);
    if (!decoded.ok()) return false;
    const std::string* text = std::get_if<std::string>(&*decoded);
    if (text != nullptr && !dag::IsValidUtf8(*text)) return false;
    *scalar = std::move(decoded).value();
    return true;
  }
  bool done() const { return in_.empty(); }
  std::string_view rest() const { return in_; }

 private:
  std::string_view in_;
};

void CollectActors(const Object& object, std::set<ActorId>* actors) {
  auto add = [&](const OpId& id) {
    if (!id.IsRoot()) actors->insert(id.actor);
  };
  for (const auto& [key, entries] : object.map.keys) {
    for (const MapEntry& entry : entries) {
      add(entry.id);
      if (entry.value.is_object) add(entry.value.object);
    }
  }
  for (const auto& [key, tags] : object.set.members) {
    for (const OpId& tag : tags) add(tag);
  }
  auto add_runs = [&](const Sequence& sequence) {
    sequence.ForEachRun([&](const OpId& first, uint64_t, bool,
                            const std::u32string&) { add(first); });
  };
  add_runs(object.list.elements);
  add_runs(object.text.text);
  for (const Value& value : object.list.values) {
    if (value.is_object) add(value.object);
  }
}

}  // namespace

std::string Document::Serialize() const {
  std::vector<const std::pair<const OpId, std::unique_ptr<Object>>*> sorted;
  std::set<ActorId> actors;
  for (const auto& entry : objects_) {
    sorted.push_back(&entry);
    if (!entry.first.IsRoot()) actors.insert(entry.first.actor);
    CollectActors(*entry.second, &actors);
  }
  for (const OpId& create : creates_) actors.insert(create.actor);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return a->first < b->first; });
  StateWriter writer(actors);

  std::string out;
  out.push_back(static_cast<char>(kStateVersion));
  PutVarint(&out, actors.size());
  for (const ActorId& actor : actors) out.append(actor.AsStringView());
  PutVarint(&out, creates_.size());
  for (const OpId& create : creates_) writer.Id(&out, create);
  PutVarint(&out, sorted.size());
  for (const auto* entry : sorted) {
    const Object& object = *entry->second;
    writer.Id(&out, entry->first);
    out.push_back(static_cast<char>(object.kind));
    out.push_back(static_cast<char>(object.flavour));
    switch (object.kind) {
      case ObjectKind::kMap:
        PutVarint(&out, object.map.keys.size());
        for (const auto& [key, entries] : object.map.keys) {
          PutBytes(&out, key);
          PutVarint(&out, entries.size());
          for (const MapEntry& map_entry : entries) {
            writer.Id(&out, map_entry.id);
            out.push_back(map_entry.tombstone ? 1 : 0);
            out.push_back(static_cast<char>(map_entry.flavour));
            if (!map_entry.tombstone) writer.Val(&out, map_entry.value);
          }
        }
        break;
      case ObjectKind::kCounter:
        PutVarint(&out, static_cast<uint64_t>(object.counter.total));
        break;
      case ObjectKind::kSet:
        PutVarint(&out, object.set.members.size());
        for (const auto& [key, tags] : object.set.members) {
          PutBytes(&out, key);
          PutVarint(&out, tags.size());
          for (const OpId& tag : tags) writer.Id(&out, tag);
        }
        PutVarint(&out, object.set.removed.size());
        for (const auto& [key, removed] : object.set.removed) {
          PutBytes(&out, key);
        }
        break;
      case ObjectKind::kList:
      case ObjectKind::kText: {
        bool is_text = object.kind == ObjectKind::kText;
        const Sequence& sequence =
            is_text ? object.text.text : object.list.elements;
        std::string runs;
        uint64_t run_count = 0;
        sequence.ForEachRun([&](const OpId& first, uint64_t length,
                                bool visible, const std::u32string& content) {
          ++run_count;
          writer.Id(&runs, first);
          PutVarint(&runs, length << 1 | (visible ? 1 : 0));
          if (!visible) return;
          if (is_text) {
            PutBytes(&runs, Utf32ToUtf8(content));
          } else {
            for (char32_t handle : content) {
              writer.Val(&runs, object.list.values[handle]);
            }
          }
        });
        PutVarint(&out, run_count);
        out += runs;
        break;
      }
    }
  }
  return out;
}

namespace {

bool ReadSequence(StateReader* reader, const std::vector<ActorId>& actors,
                  Object* object) {
  bool is_text = object->kind == ObjectKind::kText;
  uint64_t run_count;
  if (!reader->Count(&run_count)) return false;
  for (uint64_t run_idx = 0; run_idx < run_count; ++run_idx) {
    OpId first;
    uint64_t length_and_flag;
    if (!reader->Id(actors, &first) || first.IsRoot() ||
        !reader->Varint(&length_and_flag)) {
      return false;
    }
    uint64_t length = length_and_flag >> 1;
    bool visible = length_and_flag & 1;
    if (length == 0 || length > (uint64_t{1} << 40)) return false;
    std::u32string content;
    if (visible && is_text) {
      std::string_view utf8;
      if (!reader->Bytes(&utf8) || !dag::IsValidUtf8(utf8)) return false;
      content = Utf8ToUtf32(utf8);
      if (content.size() != length) return false;
    } else if (visible) {
      for (uint64_t element = 0; element < length; ++element) {
        Value value;
        if (!reader->Val(actors, &value)) return false;
        content.push_back(static_cast<char32_t>(object->list.values.size()));
        object->list.values.push_back(std::move(value));
      }
    }
    Sequence& sequence = is_text ? object->text.text : object->list.elements;
    sequence.AppendLoadedRun(first, length, visible, std::move(content));
  }
  return true;
}

bool ReadObject(StateReader* reader, const std::vector<ActorId>& actors,
                Object* object) {
  switch (object->kind) {
    case ObjectKind::kMap: {
      uint64_t key_count;
      if (!reader->Count(&key_count)) return false;
      for (uint64_t key_idx = 0; key_idx < key_count; ++key_idx) {
        std::string_view key;
        uint64_t entry_count;
        if (!reader->Bytes(&key) || !dag::IsValidUtf8(key) ||
            !reader->Count(&entry_count)) {
          return false;
        }
        auto& entries = object->map.keys[std::string(key)];
        for (uint64_t entry_idx = 0; entry_idx < entry_count; ++entry_idx) {
          MapEntry entry;
          uint8_t tombstone, flavour;
          if (!reader->Id(actors, &entry.id) || !reader->Byte(&tombstone) ||
              tombstone > 1 || !reader->Byte(&flavour) ||
              flavour > kFlavourMax) {
            return false;
          }
          entry.tombstone = tombstone == 1;
          entry.flavour = static_cast<Flavour>(flavour);
          if (!entry.tombstone && !reader->Val(actors, &entry.value)) {
            return false;
          }
          entries.push_back(std::move(entry));
        }
      }
      return true;
    }
    case ObjectKind::kCounter: {
      uint64_t total;
      if (!reader->Varint(&total)) return false;
      object->counter.total = static_cast<int64_t>(total);
      return true;
    }
    case ObjectKind::kSet: {
      uint64_t member_count, removed_count;
      if (!reader->Count(&member_count)) return false;
      for (uint64_t member = 0; member < member_count; ++member) {
        std::string_view key;
        uint64_t tag_count;
        Scalar scalar;
        if (!reader->Bytes(&key) || !StateReader::ReadScalar(key, &scalar) ||
            !reader->Count(&tag_count)) {
          return false;
        }
        auto& tags = object->set.members[std::string(key)];
        for (uint64_t tag_idx = 0; tag_idx < tag_count; ++tag_idx) {
          OpId tag;
          if (!reader->Id(actors, &tag)) return false;
          tags.push_back(tag);
        }
      }
      if (!reader->Count(&removed_count)) return false;
      for (uint64_t removed = 0; removed < removed_count; ++removed) {
        std::string_view key;
        if (!reader->Bytes(&key)) return false;
        object->set.removed[std::string(key)] = true;
      }
      return true;
    }
    case ObjectKind::kList:
    case ObjectKind::kText:
      return ReadSequence(reader, actors, object);
  }
  return false;
}

}  // namespace

namespace {

// Skips an op id of a state with `actor_count` actors.
bool SkipId(StateReader* reader, uint64_t actor_count) {
  uint64_t counter, actor;
  if (!reader->Varint(&counter)) return false;
  return counter == 0 || (reader->Varint(&actor) && actor < actor_count);
}

}  // namespace

bool RootMapPeek::Parse(std::string_view state) {
  StateReader reader(state);
  uint8_t version, kind, flavour, byte;
  uint64_t create_count, object_count, key_count, root_counter;
  if (!reader.Byte(&version) || version != kStateVersion ||
      !reader.Count(&actor_count_)) {
    return false;
  }
  for (uint64_t byte_idx = 0; byte_idx < actor_count_ * ActorId::kSize;
       ++byte_idx) {
    if (!reader.Byte(&byte)) return false;
  }
  if (!reader.Count(&create_count)) return false;
  for (uint64_t create_idx = 0; create_idx < create_count; ++create_idx) {
    if (!SkipId(&reader, actor_count_)) return false;
  }
  // The root alone: id 0 (one byte), a map.
  if (!reader.Count(&object_count) || object_count != 1 ||
      !reader.Varint(&root_counter) || root_counter != 0 ||
      !reader.Byte(&kind) || kind != static_cast<uint8_t>(ObjectKind::kMap) ||
      !reader.Byte(&flavour) || flavour > kFlavourMax ||
      !reader.Count(&key_count)) {
    return false;
  }
  keys_.clear();
  for (uint64_t key_idx = 0; key_idx < key_count; ++key_idx) {
    Key key;
    if (!reader.Bytes(&key.name) || !reader.Count(&key.entries)) return false;
    // Keys are serialized in order, each once.
    if (!keys_.empty() && !(keys_.back().name < key.name)) return false;
    std::string_view start = reader.rest();
    for (uint64_t entry_idx = 0; entry_idx < key.entries; ++entry_idx) {
      uint8_t tombstone, entry_flavour, tag;
      std::string_view value;
      if (!SkipId(&reader, actor_count_) || !reader.Byte(&tombstone) ||
          tombstone > 1 || !reader.Byte(&entry_flavour) ||
          entry_flavour > kFlavourMax) {
        return false;
      }
      if (tombstone == 1) continue;
      if (!reader.Byte(&tag) || tag > 1 ||
          (tag == 1 ? !SkipId(&reader, actor_count_) : !reader.Bytes(&value))) {
        return false;
      }
    }
    key.bytes = start.substr(0, start.size() - reader.rest().size());
    keys_.push_back(key);
  }
  if (!reader.done()) return false;
  exists_ = create_count > 0 || key_count > 0;
  return true;
}

bool RootMapPeek::Lookup(std::string_view name, size_t* visible, bool* plain,
                         Scalar* scalar) const {
  *visible = 0;
  *plain = false;
  auto key = std::lower_bound(
      keys_.begin(), keys_.end(), name,
      [](const Key& key, std::string_view name) { return key.name < name; });
  if (key == keys_.end() || key->name != name) return true;
  StateReader reader(key->bytes);
  for (uint64_t entry_idx = 0; entry_idx < key->entries; ++entry_idx) {
    uint8_t tombstone, flavour, tag;
    std::string_view value;
    if (!SkipId(&reader, actor_count_) || !reader.Byte(&tombstone) ||
        !reader.Byte(&flavour)) {
      return false;
    }
    if (tombstone == 1) continue;
    if (!reader.Byte(&tag)) return false;
    ++*visible;
    if (tag == 1) {
      if (!SkipId(&reader, actor_count_)) return false;
      *plain = false;
      continue;
    }
    if (!reader.Bytes(&value)) return false;
    *plain =
        *visible == 1 && static_cast<Flavour>(flavour) != Flavour::kMultiValue;
    if (*plain && !StateReader::ReadScalar(value, scalar)) return false;
  }
  if (*visible != 1) *plain = false;
  return true;
}

Result<Document> Document::Deserialize(std::string_view bytes) {
  StateReader reader(bytes);
  uint8_t version;
  uint64_t actor_count, create_count, object_count;
  if (!reader.Byte(&version) || version != kStateVersion ||
      !reader.Count(&actor_count)) {
    return Status::Corruption("document state: bad header");
  }
  std::vector<ActorId> actors(actor_count);
  for (ActorId& actor : actors) {
    for (size_t byte_idx = 0; byte_idx < ActorId::kSize; ++byte_idx) {
      uint8_t byte;
      if (!reader.Byte(&byte)) {
        return Status::Corruption("document state: truncated actors");
      }
      actor.bytes[byte_idx] = byte;
    }
  }
  Document document;
  document.objects_.clear();
  if (!reader.Count(&create_count)) {
    return Status::Corruption("document state: bad creates");
  }
  for (uint64_t create_idx = 0; create_idx < create_count; ++create_idx) {
    OpId create;
    if (!reader.Id(actors, &create)) {
      return Status::Corruption("document state: bad create id");
    }
    document.creates_.push_back(create);
  }
  if (!reader.Count(&object_count)) {
    return Status::Corruption("document state: bad object count");
  }
  for (uint64_t object_idx = 0; object_idx < object_count; ++object_idx) {
    OpId id;
    uint8_t kind, flavour;
    if (!reader.Id(actors, &id) || !reader.Byte(&kind) ||
        kind > static_cast<uint8_t>(ObjectKind::kSet) ||
        !reader.Byte(&flavour) || flavour > kFlavourMax) {
      return Status::Corruption("document state: bad object header");
    }
    auto object = std::make_unique<Object>();
    object->id = id;
    object->kind = static_cast<ObjectKind>(kind);
    object->flavour = static_cast<Flavour>(flavour);
    if (!ReadObject(&reader, actors, object.get())) {
      return Status::Corruption("document state: bad object body");
    }
    if (!document.objects_.emplace(id, std::move(object)).second) {
      return Status::Corruption("document state: object listed twice");
    }
  }
  const Object* root = document.Find(OpId());
  if (!reader.done() || root == nullptr || root->kind != ObjectKind::kMap) {
    return Status::Corruption("document state: trailing bytes or no root");
  }
  if (!document.ComputeDepths()) {
    return Status::Corruption("document state: an object is named twice");
  }
  return document;
}

}  // namespace weft::engine
