// A run of changes (dag/change_run.h), as a Changes message or a bundle
// carries it: decoded under small limits; what decodes must pack again into
// a run that decodes to the same changes.
#include <cstdlib>

#include "dag/change_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  weft::dag::RunLimits limits;
  limits.changes_max = 4096;
  limits.bytes_max = 4u << 20;
  limits.columns_bytes_max = 4u << 20;
  limits.ops_max = 1u << 16;
  auto changes = weft::dag::DecodeRun(bytes, limits);
  if (!changes.ok()) return 0;
  if (changes->empty()) abort();
  for (const auto& change : *changes) {
    if (weft::dag::EncodeChange(change.change).bytes != change.bytes) abort();
  }
  auto again = weft::dag::DecodeRun(weft::dag::EncodeRunOf(*changes), limits);
  if (!again.ok() || again->size() != changes->size()) abort();
  for (size_t index = 0; index < changes->size(); ++index) {
    if ((*again)[index].hash != (*changes)[index].hash) abort();
  }
  return 0;
}
