// Scalars as JSON text, the way the shell, the C API and the documents' JSON
// write them: null, true and false, integers (int64), numbers (double),
// "strings", and byte strings as {"$bytes": "00ff"} (hex digit pairs).
#pragma once

#include <string>
#include <string_view>

#include "weft/change.h"
#include "weft/status.h"

namespace weft {

// Parses one scalar. InvalidArgument for malformed JSON, objects other than
// {"$bytes": ...}, arrays, integers beyond int64 and malformed hex.
Result<Scalar> ScalarFromJsonText(std::string_view text);

// The JSON text of a scalar: ScalarFromJsonText reads it back equal.
std::string ScalarToJsonText(const Scalar& value);

}  // namespace weft
