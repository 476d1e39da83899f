// Paths into a document: "address.city", "items.0". Shared by reads,
// transactions, views and queries.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/crdt/document.h"

namespace weft::engine {

// A value located by a path: the map key (or list element) it sits at.
struct Location {
  const Object* parent = nullptr;  // a map or a list
  std::string key;                 // when the parent is a map
  uint64_t index = 0;              // when the parent is a list
};

// Splits "a.b.2" into segments. InvalidArgument on an empty segment.
Result<std::vector<std::string>> ParsePath(std::string_view path);
// Walks `path` in `document` without changing it. NotFound if a segment
// is missing; InvalidArgument if one crosses a scalar.
Result<Location> Locate(const Document& document, std::string_view path);
// The winning value at a location, if any.
const Value* ValueAt(const Document& document, const Location& location);

// The JSON a reader sees at `path` (concurrent values rendered together),
// as a value and as text, or nullopt when there is no value there.
std::optional<nlohmann::json> JsonAt(const Document& document,
                                     std::string_view path);
std::optional<std::string> RenderAt(const Document& document,
                                    std::string_view path);

}  // namespace weft::engine
