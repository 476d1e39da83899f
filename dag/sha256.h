// SHA-256 of exact bytes: the content address of a change.
#pragma once

#include <string_view>

#include "weft/hash.h"

namespace weft::dag {

Hash Sha256(std::string_view bytes);

}  // namespace weft::dag
