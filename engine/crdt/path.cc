#include "engine/crdt/path.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "dag/change_limits.h"
#include "engine/json/json_value.h"

namespace weft::engine {
namespace {

bool ParseIndex(const std::string& segment, uint64_t* index) {
  auto [end, error] =
      std::from_chars(segment.data(), segment.data() + segment.size(), *index);
  return error == std::errc() && end == segment.data() + segment.size();
}

}  // namespace

Result<std::vector<std::string>> ParsePath(std::string_view path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string_view segment = path.substr(start, dot == std::string_view::npos
                                                      ? std::string_view::npos
                                                      : dot - start);
    if (segment.empty()) {
      return Status::InvalidArgument("empty segment in path",
                                     std::string(path));
    }
    // An object at the deepest level holds values one segment further.
    if (segments.size() == limits::kDocumentDepthMax + 1) {
      return Status::InvalidArgument(
          "a path has at most " +
          std::to_string(limits::kDocumentDepthMax + 1) +
          " segments (documents nest at most " +
          std::to_string(limits::kDocumentDepthMax) + " levels deep)");
    }
    segments.emplace_back(segment);
    if (dot == std::string_view::npos) return segments;
    start = dot + 1;
  }
}

const Value* ValueAt(const Document& document, const Location& location) {
  if (location.parent->kind == ObjectKind::kMap) {
    auto entries = document.Entries(*location.parent, location.key);
    return entries.empty() ? nullptr : &entries.back()->value;
  }
  const ListObject& list = location.parent->list;
  if (location.index >= list.elements.size()) return nullptr;
  char32_t handle = list.elements.Read(location.index, 1)[0];
  return &list.values[handle];
}

Result<Location> Locate(const Document& document, std::string_view path) {
  WEFT_ASSIGN_OR_RETURN(std::vector<std::string> segments, ParsePath(path));
  Location location;
  location.parent = &document.root();
  std::string walked;
  for (size_t segment_idx = 0; segment_idx < segments.size(); ++segment_idx) {
    const std::string& segment = segments[segment_idx];
    if (location.parent->kind == ObjectKind::kList) {
      if (!ParseIndex(segment, &location.index)) {
        return Status::InvalidArgument("'" + walked + "' is a list: '" +
                                       segment + "' is not an index");
      }
    } else {
      location.key = segment;
    }
    walked += (walked.empty() ? "" : ".") + segment;
    if (segment_idx + 1 == segments.size()) return location;
    const Value* value = ValueAt(document, location);
    if (value == nullptr) return Status::NotFound("no value at", walked);
    const Object* object =
        value->is_object ? document.Find(value->object) : nullptr;
    if (object == nullptr || (object->kind != ObjectKind::kMap &&
                              object->kind != ObjectKind::kList)) {
      return Status::InvalidArgument("'" + walked +
                                     "' holds no map or list to go into");
    }
    location.parent = object;
  }
  return location;
}

std::optional<nlohmann::json> JsonAt(const Document& document,
                                     std::string_view path) {
  Result<Location> location = Locate(document, path);
  if (!location.ok()) return std::nullopt;
  if (location->parent->kind == ObjectKind::kMap) {
    // Concurrent values render together (merged maps, summed counters).
    return document.KeyJson(*location->parent, location->key);
  }
  const Value* value = ValueAt(document, *location);
  if (value == nullptr) return std::nullopt;
  return document.ValueJson(*value);
}

std::optional<std::string> RenderAt(const Document& document,
                                    std::string_view path) {
  std::optional<nlohmann::json> json = JsonAt(document, path);
  if (!json) return std::nullopt;
  return DumpJson(*json);
}

}  // namespace weft::engine
