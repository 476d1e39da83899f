// A bundle file's bytes: decoded (checksum first), and what decodes encodes
// back to the same bytes.
#include "engine/bundle/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto bundle = weft::engine::DecodeBundle(bytes);
  if (!bundle.ok()) return 0;
  auto again = weft::engine::DecodeBundle(weft::engine::EncodeBundle(*bundle));
  if (!again.ok() || again->changes.size() != bundle->changes.size() ||
      again->heads != bundle->heads || again->views != bundle->views) {
    abort();
  }
  for (size_t index = 0; index < bundle->changes.size(); ++index) {
    if (again->changes[index].bytes != bundle->changes[index].bytes) abort();
  }
  return 0;
}
