// A document's stored state: decoded or refused; what decodes renders, and
// its canonical bytes are stable (serialize, decode, serialize). The check
// a scan makes of a row in place (RootMapPeek) never crashes, and where the
// state decodes it agrees with the decoded document on its existence and
// on a plain root field.
#include <cmath>

#include "engine/crdt/document.h"
#include "engine/views/field.h"

namespace {

void Peek(std::string_view bytes,
          const weft::Result<weft::engine::Document>& document) {
  weft::engine::RootMapPeek peek;
  if (!peek.Parse(bytes)) return;
  for (const char* key : {"a", "k", "n", "name"}) {
    size_t visible;
    bool plain;
    weft::Scalar scalar;
    if (!peek.Lookup(key, &visible, &plain, &scalar) || !document.ok()) {
      continue;
    }
    const double* number = std::get_if<double>(&scalar);
    if (number != nullptr && std::isnan(*number)) continue;  // unordered
    if (plain && weft::engine::CompareFields(
                     weft::engine::FieldFromScalar(scalar),
                     weft::engine::FieldAt(*document, key)) != 0) {
      abort();
    }
  }
  if (document.ok() && peek.exists() != document->Exists()) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto document = weft::engine::Document::Deserialize(bytes);
  Peek(bytes, document);
  if (!document.ok()) return 0;
  document->ToJson();
  std::string canonical = document->Serialize();
  auto again = weft::engine::Document::Deserialize(canonical);
  if (!again.ok() || again->Serialize() != canonical) abort();
  return 0;
}
