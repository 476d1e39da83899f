#include "engine/views/field.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/crdt/path.h"
#include "engine/json/json_value.h"
#include "engine/log/keys.h"

namespace weft::engine {
namespace {

using Type = FieldValue::Type;

FieldValue FromJson(const nlohmann::json& json) {
  FieldValue field;
  switch (json.type()) {
    case nlohmann::json::value_t::null:
      field.type = Type::kNull;
      break;
    case nlohmann::json::value_t::boolean:
      field.type = json.get<bool>() ? Type::kTrue : Type::kFalse;
      break;
    case nlohmann::json::value_t::number_integer:
      field.type = Type::kNumber;
      field.is_integer = true;
      field.integer = json.get<int64_t>();
      field.number = static_cast<double>(field.integer);
      break;
    case nlohmann::json::value_t::number_unsigned:
      if (json.get<uint64_t>() <= INT64_MAX) {
        field.type = Type::kNumber;
        field.is_integer = true;
        field.integer = static_cast<int64_t>(json.get<uint64_t>());
        field.number = static_cast<double>(field.integer);
        break;
      }
      [[fallthrough]];
    case nlohmann::json::value_t::number_float:
      field.type = Type::kNumber;
      field.number = json.get<double>();
      break;
    case nlohmann::json::value_t::string:
      field.type = Type::kString;
      field.text = json.get<std::string>();
      break;
    default:
      field.type = Type::kOther;
      field.text = json.dump();
  }
  return field;
}

int Sign(int value) { return (value > 0) - (value < 0); }

}  // namespace

std::string FieldValue::ToJson() const {
  switch (type) {
    case Type::kMissing:
    case Type::kNull:
      return "null";
    case Type::kFalse:
      return "false";
    case Type::kTrue:
      return "true";
    case Type::kNumber:
      return is_integer ? std::to_string(integer)
                        : nlohmann::json(number).dump();
    case Type::kString:
      return nlohmann::json(text).dump();
    case Type::kOther:
      return text;
  }
  return "null";
}

FieldValue FieldFromJson(std::string_view json) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_discarded()) return FieldValue();
  return FromJson(parsed);
}

FieldValue FieldAt(const Document& document, std::string_view path) {
  // Fast path: one plain scalar at a map key, the common case. Anything
  // else (objects, concurrent values) is read as a reader would see it.
  Result<Location> location = Locate(document, path);
  if (!location.ok()) return FieldValue();
  if (location->parent->kind == ObjectKind::kMap) {
    auto entries = document.Entries(*location->parent, location->key);
    if (entries.empty()) return FieldValue();
    if (entries.size() == 1 && !entries[0]->value.is_object &&
        entries[0]->flavour != Flavour::kMultiValue) {
      return FieldFromScalar(entries[0]->value.scalar);
    }
  }
  std::optional<std::string> json = RenderAt(document, path);
  return json ? FieldFromJson(*json) : FieldValue();
}

FieldValue FieldFromScalar(const Scalar& scalar) {
  FieldValue field;
  switch (scalar.index()) {
    case 0:
      field.type = Type::kNull;
      break;
    case 1:
      field.type = std::get<bool>(scalar) ? Type::kTrue : Type::kFalse;
      break;
    case 2:
      field.type = Type::kNumber;
      field.is_integer = true;
      field.integer = std::get<int64_t>(scalar);
      field.number = static_cast<double>(field.integer);
      break;
    case 3:
      field.type = Type::kNumber;
      field.number = std::get<double>(scalar);
      break;
    case 4:
      field.type = Type::kString;
      field.text = std::get<std::string>(scalar);
      break;
    default:  // bytes: compared by their JSON form, as documents show them
      field.type = Type::kOther;
      field.text = ScalarToJson(scalar);
  }
  return field;
}

int CompareFields(const FieldValue& a, const FieldValue& b) {
  if (a.type != b.type) return a.type < b.type ? -1 : 1;
  switch (a.type) {
    case Type::kNumber:
      if (a.is_integer && b.is_integer) {
        return (a.integer > b.integer) - (a.integer < b.integer);
      }
      return (a.number > b.number) - (a.number < b.number);
    case Type::kString:
    case Type::kOther:
      return Sign(a.text.compare(b.text));
    default:
      return 0;
  }
}

void EncodeField(const FieldValue& value, std::string* out) {
  out->push_back(static_cast<char>(value.type));
  if (value.type == Type::kNumber) {
    // IEEE-754 bits, sign flipped for positives and all bits for
    // negatives, big-endian: byte order is numeric order.
    double number = value.number == 0 ? 0.0 : value.number;  // -0 == 0
    uint64_t bits = std::bit_cast<uint64_t>(number);
    bits = (bits >> 63) ? ~bits : bits | (uint64_t{1} << 63);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out->push_back(static_cast<char>(bits >> shift));
    }
  } else if (value.type == Type::kString || value.type == Type::kOther) {
    AppendEscaped(out, value.text);
  }
}

bool SkipEncodedField(std::string_view* in) {
  if (in->empty()) return false;
  auto type = static_cast<Type>((*in)[0]);
  in->remove_prefix(1);
  switch (type) {
    case Type::kMissing:
    case Type::kNull:
    case Type::kFalse:
    case Type::kTrue:
      return true;
    case Type::kNumber:
      if (in->size() < 8) return false;
      in->remove_prefix(8);
      return true;
    case Type::kString:
    case Type::kOther: {
      std::string scratch;
      return ReadEscaped(in, &scratch);
    }
  }
  return false;
}

}  // namespace weft::engine
