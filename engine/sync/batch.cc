#include "engine/sync/batch.h"

#include <zstd.h>

#include <unordered_map>

#include "base/varint.h"
#include "dag/sha256.h"
#include "weft/hash.h"

namespace weft::engine::sync {

namespace {

// Per change: varint count of cut hashes, then per cut: varint offset in
// the change's bytes (from the previous cut's end), varint back-reference
// (1 = the change just before); then varint length and the remaining
// bytes.
std::string Compact(std::string_view bytes,
                    const std::unordered_map<Hash, size_t, HashHasher>& seen,
                    size_t index) {
  struct Cut {
    size_t offset;
    size_t back;
  };
  std::vector<Cut> cuts;
  for (size_t offset = 0; offset + Hash::kSize <= bytes.size();) {
    // Parent hashes sit 4-byte aligned in the FlatBuffers vector; testing
    // every aligned window finds them without parsing.
    auto found = seen.find(Hash::FromBytes(bytes.substr(offset, Hash::kSize)));
    if (found != seen.end()) {
      cuts.push_back({offset, index - found->second});
      offset += Hash::kSize;
    } else {
      offset += 4;
    }
  }
  std::string out;
  PutVarint(&out, cuts.size());
  size_t from = 0;
  std::string rest;
  for (const Cut& cut : cuts) {
    PutVarint(&out, cut.offset - from);
    PutVarint(&out, cut.back);
    rest.append(bytes.substr(from, cut.offset - from));
    from = cut.offset + Hash::kSize;
  }
  rest.append(bytes.substr(from));
  PutVarint(&out, rest.size());
  return out + rest;
}

}  // namespace

std::string EncodeBatch(const std::vector<std::string>& changes) {
  std::string raw;
  std::unordered_map<Hash, size_t, HashHasher> seen;
  for (size_t index = 0; index < changes.size(); ++index) {
    raw += Compact(changes[index], seen, index);
    seen.emplace(dag::Sha256(changes[index]), index);
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
  std::vector<Hash> hashes;
  std::string_view rest = raw;
  size_t total = 0;  // restored hashes may add bytes: bounded too
  while (!rest.empty()) {
    uint64_t cut_count;
    if (changes.size() == count || !GetVarint(&rest, &cut_count) ||
        cut_count > 1024) {
      return Status::Corruption("batch: malformed");
    }
    std::vector<std::pair<uint64_t, uint64_t>> cuts(cut_count);
    for (auto& [offset, back] : cuts) {
      if (!GetVarint(&rest, &offset) || !GetVarint(&rest, &back) || back == 0 ||
          back > changes.size()) {
        return Status::Corruption("batch: malformed reference");
      }
    }
    uint64_t length;
    if (!GetVarint(&rest, &length) || length > rest.size()) {
      return Status::Corruption("batch: malformed");
    }
    std::string_view remaining = rest.substr(0, length);
    rest.remove_prefix(length);
    std::string bytes;
    for (const auto& [offset, back] : cuts) {
      if (offset > remaining.size()) {
        return Status::Corruption("batch: reference out of range");
      }
      bytes.append(remaining.substr(0, offset));
      remaining.remove_prefix(offset);
      bytes.append(hashes[changes.size() - back].AsStringView());
    }
    bytes.append(remaining);
    total += bytes.size();
    if (total > 2 * kBatchBytesMax) {
      return Status::Corruption("batch: over the size limit once restored");
    }
    hashes.push_back(dag::Sha256(bytes));
    changes.push_back(std::move(bytes));
  }
  if (changes.size() != count) {
    return Status::Corruption("batch: holds a different number of changes");
  }
  return changes;
}

}  // namespace weft::engine::sync
