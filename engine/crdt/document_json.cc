// A document as JSON (Document::ToJsonValue and friends): the renderer that
// walks the objects, bounded in depth. The binary state is document_codec.cc.
#include <nlohmann/json.hpp>

#include "base/utf.h"
#include "dag/change_limits.h"
#include "engine/crdt/document.h"
#include "engine/json/json_value.h"

namespace weft::engine {

namespace {

// Renders at most limits::kDocumentDepthMax levels: a state stored before
// the limit renders its deeper objects as null instead of exhausting the
// stack. Each object is rendered once at most (Deserialize refuses a state
// naming one twice).
class JsonRenderer {
 public:
  explicit JsonRenderer(const Document& document) : document_(document) {}

  nlohmann::json OfValue(const Value& value) {
    if (!value.is_object) return ScalarJson(value.scalar);
    const Object* object = document_.Find(value.object);
    return object == nullptr ? nlohmann::json() : OfObjects({object});
  }

  // Concurrent objects at one key: maps merge, counters add up, otherwise
  // the last (highest op id) wins.
  nlohmann::json OfObjects(const std::vector<const Object*>& objects) {
    if (depth_ > limits::kDocumentDepthMax) return nullptr;
    ++depth_;
    nlohmann::json json = OfObjectsAtDepth(objects);
    --depth_;
    return json;
  }

  nlohmann::json OfObjectsAtDepth(const std::vector<const Object*>& objects) {
    const Object& winner = *objects.back();
    switch (winner.kind) {
      case ObjectKind::kMap:
        return OfMaps(objects);
      case ObjectKind::kCounter: {
        int64_t total = 0;
        for (const Object* object : objects) {
          if (object->kind == ObjectKind::kCounter) {
            total += object->counter.total;
          }
        }
        return total;
      }
      case ObjectKind::kText:
        return Utf32ToUtf8(winner.text.text.ReadAll());
      case ObjectKind::kList: {
        nlohmann::json array = nlohmann::json::array();
        for (char32_t handle : winner.list.elements.ReadAll()) {
          array.push_back(OfValue(winner.list.values[handle]));
        }
        return array;
      }
      case ObjectKind::kSet: {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& [key, tags] : winner.set.members) {
          array.push_back(ScalarJson(*ScalarFromKey(key)));
        }
        return array;
      }
    }
    return nullptr;
  }

  nlohmann::json OfEntries(const std::vector<const MapEntry*>& entries) {
    const MapEntry& winner = *entries.back();
    if (winner.flavour == Flavour::kMultiValue && !winner.value.is_object) {
      nlohmann::json all = nlohmann::json::array();
      for (const MapEntry* entry : entries)
        all.push_back(OfValue(entry->value));
      return all;
    }
    if (!winner.value.is_object) return ScalarJson(winner.value.scalar);
    std::vector<const Object*> objects;
    const Object* winner_object = document_.Find(winner.value.object);
    if (winner_object == nullptr) return nullptr;
    for (const MapEntry* entry : entries) {
      if (!entry->value.is_object) continue;
      const Object* object = document_.Find(entry->value.object);
      if (object != nullptr && object->kind == winner_object->kind) {
        objects.push_back(object);
      }
    }
    return OfObjects(objects);
  }

  nlohmann::json OfMaps(const std::vector<const Object*>& maps) {
    std::map<std::string, std::vector<const MapEntry*>> merged;
    for (const Object* map : maps) {
      for (const auto& [key, entries] : map->map.keys) {
        for (const MapEntry* entry : document_.Entries(*map, key)) {
          merged[key].push_back(entry);
        }
      }
    }
    nlohmann::json out = nlohmann::json::object();
    for (auto& [key, entries] : merged) {
      std::sort(entries.begin(), entries.end(),
                [](auto* a, auto* b) { return a->id < b->id; });
      out[key] = OfEntries(entries);
    }
    return out;
  }

 private:
  const Document& document_;
  size_t depth_ = 0;
};

}  // namespace

nlohmann::json Document::ToJsonValue() const {
  return JsonRenderer(*this).OfObjects({&root()});
}

nlohmann::json Document::ValueJson(const Value& value) const {
  return JsonRenderer(*this).OfValue(value);
}

std::optional<nlohmann::json> Document::KeyJson(const Object& map,
                                                const std::string& key) const {
  std::vector<const MapEntry*> entries = Entries(map, key);
  if (entries.empty()) return std::nullopt;
  return JsonRenderer(*this).OfEntries(entries);
}

std::string Document::ToJson() const { return DumpJson(ToJsonValue()); }

std::string Document::ValueToJson(const Value& value) const {
  return DumpJson(ValueJson(value));
}

Document::Rendered Document::KeyToJson(const Object& map,
                                       const std::string& key) const {
  std::optional<nlohmann::json> json = KeyJson(map, key);
  if (!json) return Rendered{};
  return Rendered{true, DumpJson(*json)};
}

}  // namespace weft::engine
