// JSON values: the one module that turns JSON into weft values and back.
// Inside the engine JSON is a typed value (nlohmann::json); text appears only
// at the edges: parsed once where it enters (user input: InvalidArgument;
// stored bytes: Corruption, never an exception), dumped once where it leaves.
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

// A scalar as the documents' JSON shows it (bytes as {"$bytes": hex}), as a
// value and as text.
nlohmann::json ScalarJson(const Scalar& value);
std::string ScalarToJson(const Scalar& value);

// JSON text of a value, the one way the engine writes it. Text that is not
// UTF-8 cannot come from a change (every decoder checks it); should it be
// there anyway, it renders as U+FFFD rather than throw.
std::string DumpJson(const nlohmann::json& value);

// JSON the engine stored itself (a view row, a peer record): Corruption,
// naming `what`, when the bytes are not JSON. Never throws.
Result<nlohmann::json> ParseStoredJson(std::string_view bytes,
                                       std::string_view what);

// ParseStoredJson without building the value (a scan passes the bytes on).
Status CheckStoredJson(std::string_view bytes, std::string_view what);

// JSON given by a user (an edit, a query): InvalidArgument naming the
// column of the first error, or the depth over `levels`. Never throws.
Result<nlohmann::json> ParseJsonInput(std::string_view text, size_t levels);

// InvalidArgument if JSON `text` nests objects and arrays more than
// `levels` deep (a top-level object is one level). One pass over the text,
// before any parse: rendering, walking and destroying parsed JSON recurse.
Status CheckJsonDepth(std::string_view text, size_t levels);
// InvalidArgument if an integer literal of `text` (outside strings) is
// beyond int64: nlohmann would make it a double, losing digits unseen.
Status CheckJsonIntegers(std::string_view text);

}  // namespace weft::engine
