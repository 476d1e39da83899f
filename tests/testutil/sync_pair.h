// Two sync endpoints over real databases, bytes pumped between them in
// memory until both finish or one fails (no sockets).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "weft/database.h"

namespace weft::testing {

struct PumpResult {
  Status a, b;
  int rounds = 0;
};

// Moves bytes between two endpoints until both finish or one fails.
inline PumpResult Pump(SyncEndpoint* a, SyncEndpoint* b) {
  PumpResult result;
  for (; result.rounds < 1000; ++result.rounds) {
    std::string to_b = a->TakeOutput(), to_a = b->TakeOutput();
    if (to_a.empty() && to_b.empty()) break;
    if (!to_b.empty() && result.b.ok()) result.b = b->Receive(to_b);
    if (!to_a.empty() && result.a.ok()) result.a = a->Receive(to_a);
  }
  return result;
}

inline PumpResult SyncPair(Database* a, Database* b,
                           const std::string& key_a = "",
                           const std::string& key_b = "") {
  SyncOptions options_a, options_b;
  options_a.key = key_a;
  options_b.key = key_b;
  auto endpoint_a = a->NewSyncEndpoint(true, options_a);
  auto endpoint_b = b->NewSyncEndpoint(false, options_b);
  EXPECT_TRUE(endpoint_a.ok() && endpoint_b.ok());
  PumpResult result = Pump(endpoint_a->get(), endpoint_b->get());
  if (result.a.ok() && result.b.ok()) {
    EXPECT_TRUE((*endpoint_a)->finished());
    EXPECT_TRUE((*endpoint_b)->finished());
  }
  return result;
}

}  // namespace weft::testing
