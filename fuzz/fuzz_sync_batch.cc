// A sync batch (zstd of framed changes): the first two bytes say how many
// changes the message claims.
#include "engine/sync/batch.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::fuzz::Input input(data, size);
  size_t count = input.Byte() << 8;
  count |= input.Byte();
  auto changes = weft::engine::sync::DecodeBatch(input.rest(), count);
  if (changes.ok() && changes->size() != count) abort();
  return 0;
}
