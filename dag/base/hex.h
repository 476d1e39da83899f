// Hex encoding shared by Hash and ActorId, and hex escapes for logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::hex {

std::string Encode(const uint8_t* data, size_t size);
// Value of one hex digit, or -1.
int DigitValue(char c);
// Decodes exactly `size` bytes from 2*size hex digits; false on bad input.
bool Decode(std::string_view text, uint8_t* out, size_t size);
// `text` fit for one log line: every byte outside printable ASCII (a
// newline, a terminal escape), and the backslash, written as \xNN, and at
// most about `bytes_max` bytes of it, then "... (N bytes)". What a peer
// says can then neither forge log lines nor fill the disk.
std::string EscapeForLog(std::string_view text, size_t bytes_max);

}  // namespace weft::hex
