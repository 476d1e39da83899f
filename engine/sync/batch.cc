#include "engine/sync/batch.h"

#include <zstd.h>

#include "dag/base/varint.h"

namespace weft::engine::sync {

std::string EncodeBatch(const std::vector<std::string>& changes) {
  std::string raw;
  for (const std::string& change : changes) {
    PutVarint(&raw, change.size());
    raw += change;
  }
  std::string compressed(ZSTD_compressBound(raw.size()), '\0');
  size_t size = ZSTD_compress(compressed.data(), compressed.size(), raw.data(),
                              raw.size(), /*compressionLevel=*/3);
  compressed.resize(ZSTD_isError(size) ? 0 : size);
  return compressed;
}

Result<std::vector<std::string>> DecodeBatch(std::string_view payload,
                                             size_t count) {
  if (count == 0 || count > kBatchChangesMax) {
    return Status::Corruption("batch: bad change count");
  }
  unsigned long long size =
      ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
      size > kBatchBytesMax) {
    return Status::Corruption(
        "batch: not a zstd frame of a known size "
        "within the limit");
  }
  std::string raw(size, '\0');
  size_t got =
      ZSTD_decompress(raw.data(), raw.size(), payload.data(), payload.size());
  if (ZSTD_isError(got) || got != size) {
    return Status::Corruption("batch: damaged zstd frame");
  }
  std::vector<std::string> changes;
  std::string_view rest = raw;
  while (!rest.empty()) {
    uint64_t length;
    if (!GetVarint(&rest, &length) || length > rest.size() ||
        changes.size() == count) {
      return Status::Corruption("batch: malformed");
    }
    changes.emplace_back(rest.substr(0, length));
    rest.remove_prefix(length);
  }
  if (changes.size() != count) {
    return Status::Corruption("batch: holds a different number of changes");
  }
  return changes;
}

}  // namespace weft::engine::sync
