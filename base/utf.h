// UTF-8 <-> UTF-32 for text CRDTs and their callers.
#pragma once

#include <string>
#include <string_view>

namespace weft {

// REQUIRES: `utf8` is valid UTF-8 (dag::IsValidUtf8).
std::u32string Utf8ToUtf32(std::string_view utf8);
// REQUIRES: every code point is <= U+10FFFF and not a surrogate.
std::string Utf32ToUtf8(const std::u32string& text);
// The same, appended to *out.
void AppendUtf8(std::u32string_view text, std::string* out);

}  // namespace weft
