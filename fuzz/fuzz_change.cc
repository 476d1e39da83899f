// The change decoder: any bytes decode or fail with a Status; what decodes
// re-encodes into bytes that decode to the same change.
#include "dag/change_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  weft::Result<weft::Change> change = weft::dag::DecodeChange(bytes);
  if (!change.ok()) return 0;
  if (!weft::dag::ValidateChange(*change).ok()) abort();
  weft::dag::EncodedChange again = weft::dag::EncodeChange(*change);
  weft::Result<weft::Change> decoded = weft::dag::DecodeChange(again.bytes);
  if (!decoded.ok()) abort();
  if (weft::dag::EncodeChange(*decoded).hash != again.hash) abort();
  return 0;
}
