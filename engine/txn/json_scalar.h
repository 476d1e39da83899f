// JSON scalars as weft scalars: shared by JSON edits and predicates.
#pragma once

#include <nlohmann/json.hpp>

#include "weft/change.h"

namespace weft::engine {

// True for {"$bytes": ...}: the JSON form of a byte string, as documents
// render one ({"$bytes": "01ff"}, lowercase or uppercase hex digits).
bool IsBytesJson(const nlohmann::json& value);

// null, booleans, int64 integers, doubles, strings and {"$bytes": hex}.
// InvalidArgument for other objects, arrays, integers beyond int64 and
// malformed hex.
Result<Scalar> ScalarFromJson(const nlohmann::json& value);

// InvalidArgument if JSON `text` nests objects and arrays more than
// `levels` deep (a top-level object is one level). One pass over the text,
// before any parse: rendering, walking and destroying parsed JSON recurse.
Status CheckJsonDepth(std::string_view text, size_t levels);

}  // namespace weft::engine
