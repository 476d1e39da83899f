#include "base/utf.h"

namespace weft {

std::u32string Utf8ToUtf32(std::string_view utf8) {
  // At most one code point per byte; writing in place is about twice as
  // fast as push_back (a loaded text is converted whole when read).
  std::u32string out(utf8.size(), U'\0');
  size_t count = 0;
  for (size_t pos = 0; pos < utf8.size();) {
    auto lead = static_cast<unsigned char>(utf8[pos]);
    if (lead < 0x80) {
      out[count++] = lead;
      ++pos;
      continue;
    }
    int length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t code_point = length == 2   ? lead & 0x1F
                          : length == 3 ? lead & 0x0F
                                        : lead & 0x07;
    for (int byte_idx = 1; byte_idx < length && pos + byte_idx < utf8.size();
         ++byte_idx) {
      code_point = code_point << 6 | (utf8[pos + byte_idx] & 0x3F);
    }
    out[count++] = code_point;
    pos += length;
  }
  out.resize(count);
  return out;
}

std::string Utf32ToUtf8(const std::u32string& text) {
  std::string out;
  out.reserve(text.size());
  AppendUtf8(text, &out);
  return out;
}

void AppendUtf8(std::u32string_view text, std::string* out_ptr) {
  std::string& out = *out_ptr;
  for (char32_t c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | c >> 6));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | c >> 12));
      out.push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | c >> 18));
      out.push_back(static_cast<char>(0x80 | (c >> 12 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
}

}  // namespace weft
