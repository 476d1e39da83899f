// JSON scalars as weft scalars: shared by JSON edits and predicates.
#pragma once

#include <nlohmann/json.hpp>

#include "weft/change.h"

namespace weft::engine {

// null, booleans, int64 integers, doubles and strings. InvalidArgument for
// objects, arrays and integers beyond int64.
Result<Scalar> ScalarFromJson(const nlohmann::json& value);

}  // namespace weft::engine
