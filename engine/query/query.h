// Find and Explain (weft::Database): queries over one collection, planned
// against the index views and run over the stores they read.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "engine/state/doc_store.h"
#include "engine/views/view_store.h"
#include "storage/kv_store.h"
#include "weft/view.h"

namespace weft::engine {

// What a query reads, and the lock that guards it: documents are loaded
// through the document cache, which writers share, so every read of a
// query runs inside `locked` (the engine's write lock).
struct QuerySources {
  storage::KvStore* store = nullptr;
  DocStore* docs = nullptr;
  const ViewStore* views = nullptr;
  std::function<Status(const std::function<Status()>&)> locked;
};

// How RunQuery would run the query.
Result<QueryPlan> ExplainQuery(const QuerySources& sources,
                               std::string_view collection,
                               const Predicate& predicate,
                               const FindOptions& options);
// A cursor over the matching documents. It keeps a copy of `sources`: the
// stores must outlive it.
Result<std::unique_ptr<FindCursor>> RunQuery(const QuerySources& sources,
                                             std::string_view collection,
                                             const Predicate& predicate,
                                             const FindOptions& options);

}  // namespace weft::engine
