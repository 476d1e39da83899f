// SHA-256 of exact bytes: the content address of a change.
#pragma once

#include <memory>
#include <string_view>

#include "weft/hash.h"

namespace weft::dag {

Hash Sha256(std::string_view bytes);

// SHA-256 of bytes given piece by piece (digests of large derived state).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  void Update(std::string_view bytes);
  Hash Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace weft::dag
