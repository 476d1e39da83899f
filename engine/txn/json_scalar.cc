#include "engine/txn/json_scalar.h"

namespace weft::engine {

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
    default:
      return Status::InvalidArgument("not a scalar (an object or array)",
                                     value.dump().substr(0, 100));
  }
}

}  // namespace weft::engine
