// Engine::Find and Engine::Explain: the query module (engine/query/) over
// this engine's stores, under its write lock.
#include "engine/engine.h"
#include "engine/query/query.h"

namespace weft::engine {

QuerySources Engine::QueryStores() {
  QuerySources sources;
  sources.store = store_;
  sources.docs = &docs_;
  sources.views = &views_;
  sources.locked = [this](const std::function<Status()>& read) {
    return Locked(read);
  };
  return sources;
}

Result<QueryPlan> Engine::Explain(std::string_view collection,
                                  const Predicate& predicate,
                                  const FindOptions& options) {
  return ExplainQuery(QueryStores(), collection, predicate, options);
}

Result<std::unique_ptr<FindCursor>> Engine::Find(std::string_view collection,
                                                 const Predicate& predicate,
                                                 const FindOptions& options) {
  return RunQuery(QueryStores(), collection, predicate, options);
}

}  // namespace weft::engine
