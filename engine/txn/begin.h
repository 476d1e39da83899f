// How the engine starts a transaction (Engine::Begin); the transaction
// itself is weft::Transaction, implemented in transaction.cc.
#pragma once

#include <memory>

#include "weft/transaction.h"

namespace weft::engine {

class Engine;

// Takes the engine's write lock and returns a transaction that holds it.
std::unique_ptr<Transaction> BeginTransaction(Engine* engine);

}  // namespace weft::engine
