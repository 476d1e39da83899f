// Hex encoding shared by Hash and ActorId (log escapes: weft/sync.h).
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

}  // namespace weft::hex
