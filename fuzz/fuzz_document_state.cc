// A document's stored state: decoded or refused; what decodes renders, and
// its canonical bytes are stable (serialize, decode, serialize).
#include "engine/crdt/document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto document = weft::engine::Document::Deserialize(bytes);
  if (!document.ok()) return 0;
  document->ToJson();
  std::string canonical = document->Serialize();
  auto again = weft::engine::Document::Deserialize(canonical);
  if (!again.ok() || again->Serialize() != canonical) abort();
  return 0;
}
