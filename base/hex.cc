#include "base/hex.h"

namespace weft::hex {

std::string Encode(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t byte_idx = 0; byte_idx < size; ++byte_idx) {
    out[2 * byte_idx] = kDigits[data[byte_idx] >> 4];
    out[2 * byte_idx + 1] = kDigits[data[byte_idx] & 0xf];
  }
  return out;
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Decode(std::string_view text, uint8_t* out, size_t size) {
  if (text.size() != size * 2) return false;
  for (size_t byte_idx = 0; byte_idx < size; ++byte_idx) {
    int high = DigitValue(text[2 * byte_idx]);
    int low = DigitValue(text[2 * byte_idx + 1]);
    if (high < 0 || low < 0) return false;
    out[byte_idx] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

}  // namespace weft::hex

namespace weft {

std::string EscapeForLog(std::string_view text, size_t bytes_max) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : text) {
    if (out.size() >= bytes_max) {
      return out + "... (" + std::to_string(text.size()) + " bytes)";
    }
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out.push_back(static_cast<char>(byte));
    } else {
      out += "\\x";
      out.push_back(kDigits[byte >> 4]);
      out.push_back(kDigits[byte & 0xf]);
    }
  }
  return out;
}

}  // namespace weft
