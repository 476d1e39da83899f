// What the engine takes from the world outside it: the wall clock and
// randomness, as ports. The front end (db/database.cc) fills them from the
// system; a test or the simulation may give its own. The core itself calls
// no system clock and no random generator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "weft/status.h"

namespace weft::engine {

struct World {
  // Milliseconds since the epoch (change timestamps, peer records).
  std::function<int64_t()> wall_clock_ms;
  // Fills `size` bytes at `out` with cryptographic randomness (sync
  // nonces); IOError when there is none.
  std::function<Status(uint8_t* out, size_t size)> random_bytes;
};

}  // namespace weft::engine
