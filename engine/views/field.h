// A document field as views and queries see it: the value a reader sees at
// a path, reduced to something comparable, with an order-preserving byte
// encoding for index keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/crdt/document.h"
#include "weft/change.h"

namespace weft::engine {

struct FieldValue {
  // Also the encoding's tag byte: the order across types.
  enum class Type : uint8_t {
    kMissing = 1,
    kNull = 2,
    kFalse = 3,
    kTrue = 4,
    kNumber = 5,
    kString = 6,
    kOther = 7,  // an object, array or bytes: compared by its JSON
  };
  Type type = Type::kMissing;
  double number = 0;  // kNumber
  bool is_integer = false;
  int64_t integer = 0;  // kNumber when is_integer
  std::string text;     // kString: the string; kOther: its JSON

  bool present() const { return type != Type::kMissing; }
  // JSON text; "null" when missing.
  std::string ToJson() const;
};

// The value at `path` in `document` (kMissing when there is none).
FieldValue FieldAt(const Document& document, std::string_view path);
FieldValue FieldFromJson(std::string_view json);
FieldValue FieldFromScalar(const Scalar& scalar);

// <0, 0, >0. Numbers compare numerically (exactly between integers).
int CompareFields(const FieldValue& a, const FieldValue& b);

// Appends an encoding whose byte order is CompareFields' order (numbers by
// their double value) and that no other encoding is a prefix of.
void EncodeField(const FieldValue& value, std::string* out);
// Skips one encoded field; false if malformed.
bool SkipEncodedField(std::string_view* in);

}  // namespace weft::engine
