#include "engine/json/json_value.h"

#include <charconv>

#include "base/hex.h"
#include "weft/json.h"
#include "weft/sync.h"

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

nlohmann::json ScalarJson(const Scalar& value) {
  switch (value.index()) {
    case 0:
      return nullptr;
    case 1:
      return std::get<bool>(value);
    case 2:
      return std::get<int64_t>(value);
    case 3:
      return std::get<double>(value);
    case 4:
      return std::get<std::string>(value);
    default: {
      const std::string& bytes = std::get<Bytes>(value).data;
      return nlohmann::json{
          {"$bytes", hex::Encode(reinterpret_cast<const uint8_t*>(bytes.data()),
                                 bytes.size())}};
    }
  }
}

std::string ScalarToJson(const Scalar& value) {
  return DumpJson(ScalarJson(value));
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<nlohmann::json> ParseStoredJson(std::string_view bytes,
                                       std::string_view what) {
  nlohmann::json value =
      nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Status::Corruption(std::string(what) + " is not JSON",
                              EscapeForLog(bytes, 64));
  }
  return value;
}

Status CheckStoredJson(std::string_view bytes, std::string_view what) {
  if (!nlohmann::json::accept(bytes)) {
    return Status::Corruption(std::string(what) + " is not JSON",
                              EscapeForLog(bytes, 64));
  }
  return Status::OK();
}

namespace {

// What nlohmann says went wrong, without its "[json.exception.<kind>] "
// tag and "parse error at line 1, column 2: " (the column is given once,
// in weft's words): "syntax error while parsing value - invalid literal".
std::string JsonErrorDetail(std::string_view what) {
  if (what.rfind("[json.exception.", 0) == 0) {
    size_t tag_end = what.find("] ");
    if (tag_end != std::string_view::npos) what.remove_prefix(tag_end + 2);
  }
  size_t colon = what.find(": ");
  if (what.rfind("parse error", 0) == 0 && colon != std::string_view::npos) {
    what.remove_prefix(colon + 2);
  }
  return std::string(what);
}

// One pass over `text` outside its strings: objects and arrays nest at
// most `levels` deep, and (if `integers`) every integer literal fits int64
// (nlohmann would make a larger one a double, losing digits unseen).
Status ScanJson(std::string_view text, size_t levels, bool integers) {
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
    } else if (integers && (c == '-' || (c >= '0' && c <= '9'))) {
      size_t end = text.find_first_not_of("-+0123456789.eE", at);
      if (end == std::string_view::npos) end = text.size();
      std::string_view number = text.substr(at, end - at);
      int64_t value;
      if (number.find_first_of(".eE") == std::string_view::npos &&
          std::from_chars(number.data(), number.data() + number.size(), value)
                  .ec == std::errc::result_out_of_range) {
        return Status::InvalidArgument(
            "an integer beyond int64's range (-2^63 .. 2^63-1)",
            EscapeForLog(number, 40));
      }
      at = end - 1;
    }
  }
  return Status::OK();
}

}  // namespace

// nlohmann reports the column only through its exception: caught here, at
// the edge, so none leaves this function.
Result<nlohmann::json> ParseJsonInput(std::string_view text, size_t levels) {
  WEFT_RETURN_IF_ERROR(ScanJson(text, levels, /*integers=*/true));
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    return Status::InvalidArgument(
        "malformed JSON at column " + std::to_string(error.byte),
        JsonErrorDetail(error.what()));
  } catch (const nlohmann::json::exception& error) {  // a number out of range
    return Status::InvalidArgument("unusable JSON",
                                   JsonErrorDetail(error.what()));
  }
}

Status CheckJsonDepth(std::string_view text, size_t levels) {
  return ScanJson(text, levels, /*integers=*/false);
}

Status CheckJsonIntegers(std::string_view text) {
  return ScanJson(text, SIZE_MAX, /*integers=*/true);
}

}  // namespace weft::engine

namespace weft {

Result<Scalar> ScalarFromJsonText(std::string_view text) {
  // A scalar nests nothing but {"$bytes": ...}: one level.
  Result<nlohmann::json> value = engine::ParseJsonInput(text, 1);
  if (!value.ok()) {
    // An integer beyond int64 says so, rather than that it is not JSON.
    WEFT_RETURN_IF_ERROR(engine::CheckJsonIntegers(text));
    return Status::InvalidArgument("not valid JSON (strings need quotes)",
                                   EscapeForLog(text, 100));
  }
  return engine::ScalarFromJson(*value);
}

std::string ScalarToJsonText(const Scalar& value) {
  return engine::ScalarToJson(value);
}

}  // namespace weft
