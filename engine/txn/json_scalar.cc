#include "engine/txn/json_scalar.h"

#include "dag/base/hex.h"

namespace weft::engine {

bool IsBytesJson(const nlohmann::json& value) {
  return value.is_object() && value.size() == 1 && value.contains("$bytes");
}

Result<Scalar> ScalarFromJson(const nlohmann::json& value) {
  using nlohmann::json;
  switch (value.type()) {
    case json::value_t::null:
      return Scalar();
    case json::value_t::boolean:
      return Scalar(value.get<bool>());
    case json::value_t::number_integer:
      return Scalar(value.get<int64_t>());
    case json::value_t::number_unsigned:
      if (value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
        return Status::InvalidArgument("integer too large for int64");
      }
      return Scalar(static_cast<int64_t>(value.get<uint64_t>()));
    case json::value_t::number_float:
      return Scalar(value.get<double>());
    case json::value_t::string:
      return Scalar(value.get<std::string>());
    case json::value_t::object:
      if (IsBytesJson(value)) {
        const json& digits = value["$bytes"];
        std::string text = digits.is_string() ? digits.get<std::string>() : "";
        Bytes bytes;
        bytes.data.resize(text.size() / 2);
        if (!digits.is_string() || text.size() % 2 != 0 ||
            !hex::Decode(text, reinterpret_cast<uint8_t*>(bytes.data.data()),
                         bytes.data.size())) {
          return Status::InvalidArgument(
              "$bytes takes a string of hex digit pairs",
              digits.dump().substr(0, 100));
        }
        return Scalar(std::move(bytes));
      }
      [[fallthrough]];
    default:
      return Status::InvalidArgument("not a scalar (an object or array)",
                                     value.dump().substr(0, 100));
  }
}

Status CheckJsonDepth(std::string_view text, size_t levels) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t at = 0; at < text.size(); ++at) {
    char c = text[at];
    if (in_string) {
      if (c == '\\') {
        ++at;  // the escaped character
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > levels) {
        return Status::InvalidArgument(
            "JSON nests deeper than " + std::to_string(levels) +
            " levels (at byte " + std::to_string(at) + ")");
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return Status::OK();
}

}  // namespace weft::engine
