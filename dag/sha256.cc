#include "dag/sha256.h"

#include <openssl/sha.h>

namespace weft::dag {

Hash Sha256(std::string_view bytes) {
  Hash hash;
  // The one-shot call picks SHA-NI where the CPU has it.
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         hash.bytes.data());
  return hash;
}

}  // namespace weft::dag
