#include "tests/testutil/trace.h"

#include <zlib.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace weft::testing {

std::string DataDir() {
  const char* dir = std::getenv("WEFT_DATA_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return WEFT_SOURCE_DIR "/../shared/data";
}

bool LoadTrace(const std::string& path, Trace* trace, std::string* error) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    *error = "cannot open " + path;
    return false;
  }
  std::string text;
  char buffer[1 << 16];
  int got;
  while ((got = gzread(file, buffer, sizeof(buffer))) > 0) {
    text.append(buffer, got);
  }
  bool read_ok = got == 0;
  gzclose(file);
  if (!read_ok) {
    *error = "cannot decompress " + path;
    return false;
  }
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.contains("txns")) {
    *error = path + " is not a trace";
    return false;
  }
  trace->end_content = Utf8ToUtf32(json["endContent"].get<std::string>());
  trace->patches.clear();
  for (const auto& txn : json["txns"]) {
    for (const auto& patch : txn["patches"]) {
      trace->patches.push_back(
          TracePatch{patch[0].get<uint64_t>(), patch[1].get<uint64_t>(),
                     Utf8ToUtf32(patch[2].get<std::string>())});
    }
  }
  return true;
}

}  // namespace weft::testing
