// Hash: the 32-byte SHA-256 content address of a change.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft {

// A SHA-256 digest: the identity of a change (content addressing).
struct Hash {
  static constexpr size_t kSize = 32;  // bytes
  std::array<uint8_t, kSize> bytes{};

  // Lower-case hex, 64 characters.
  std::string ToHex() const;
  // The first `length` hex characters, as git abbreviates (default 12).
  std::string Short(size_t length = 12) const;
  // Parses exactly 64 hex characters (either case).
  static Result<Hash> FromHex(std::string_view hex);
  // REQUIRES: raw.size() == kSize.
  static Hash FromBytes(std::string_view raw);
  std::string_view AsStringView() const {
    return {reinterpret_cast<const char*>(bytes.data()), kSize};
  }
  bool IsZero() const;

  friend bool operator==(const Hash&, const Hash&) = default;
  friend auto operator<=>(const Hash&, const Hash&) = default;
};

// Converts a hex string of any length up to 64 into its byte prefix; an odd
// trailing nibble is returned separately (-1 when there is none).
Status ParseHexPrefix(std::string_view hex, std::string* bytes,
                      int* trailing_nibble);

// std::hash for Hash keys in unordered containers.
struct HashHasher {
  size_t operator()(const Hash& hash) const {
    size_t value;  // SHA-256 output is uniform: any 8 bytes hash well.
    std::memcpy(&value, hash.bytes.data(), sizeof(value));
    return value;
  }
};

}  // namespace weft
