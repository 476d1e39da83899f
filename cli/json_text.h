// JSON text for the shell's output. Arguments echoed back (a file name, a
// key) may hold invalid UTF-8: it is replaced (U+FFFD), never thrown on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace weft::cli {

inline std::string JsonText(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace weft::cli
