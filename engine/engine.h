// Engine: the change log and the documents derived from it, behind one
// write lock. weft::Database and weft::Transaction are its public faces.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/crdt/path.h"
#include "engine/log/change_log.h"
#include "engine/state/doc_store.h"
#include "engine/subscriptions/subscriptions.h"
#include "engine/views/view_store.h"
#include "engine/world.h"
#include "weft/options.h"
#include "weft/sync.h"
#include "weft/transaction.h"

namespace weft::engine {

struct QuerySources;

class Engine {
 public:
  Engine(storage::KvStore* store, std::unique_ptr<ChangeLog> log,
         const Options& options, World world);
  ~Engine();
  // Loads the views and finishes any build a crash cut short.
  Status Start();

  ChangeLog& log() { return *log_; }
  const ChangeLog& log() const { return *log_; }
  DocStore& docs() { return docs_; }
  ViewStore& views() { return views_; }
  storage::KvStore* store() { return store_; }
  const Options& options() const { return options_; }
  const World& world() const { return world_; }

  std::unique_ptr<Transaction> Begin();

  // Runs `body` holding the write lock, unless this thread already holds
  // it (a thread reading inside its own open transaction).
  template <typename Body>
  auto Locked(Body&& body) {
    if (writer_owner_.load() == std::this_thread::get_id()) return body();
    std::lock_guard<std::mutex> lock(writer_);
    return body();
  }

  // Runs `body` under the write lock, then delivers the subscription
  // events its writes produced (outside the lock).
  template <typename Body>
  auto Writing(Body&& body) {
    auto result = Locked(std::forward<Body>(body));
    DeliverEvents();
    return result;
  }
  // Delivers pending subscription events, unless this thread holds the
  // write lock (they wait for its next call).
  void DeliverEvents();

  // The write lock, for transactions.
  void LockWriter();
  void UnlockWriter();

  // Reads (see weft::Database).
  Result<std::string> GetJson(std::string_view doc);
  Result<std::string> GetPathJson(std::string_view doc, std::string_view path);
  Result<Scalar> GetScalar(std::string_view doc, std::string_view path);
  Result<std::string> GetConflictsJson(std::string_view doc,
                                       std::string_view path);
  Result<std::string> ReadText(std::string_view doc, std::string_view path,
                               uint64_t position, uint64_t count);
  Result<std::string> GetJsonAsOf(std::string_view doc, const Hash& as_of);
  Result<std::string> GetPathJsonAsOf(std::string_view doc,
                                      std::string_view path, const Hash& as_of);
  Result<std::string> EncodedState(std::string_view doc);
  Result<std::vector<uint64_t>> DocumentHistory(std::string_view doc);
  // Without a collection: the collections. With one: its existing keys.
  Result<std::vector<std::string>> ListDocuments(
      const std::optional<std::string>& collection);
  Result<std::string> GetListRangeJson(std::string_view doc,
                                       std::string_view path, uint64_t position,
                                       uint64_t count);

  // Views, queries, subscriptions and status (see weft::Database).
  Status CreateView(const ViewDefinition& definition,
                    const ViewProgressCallback& progress);
  Status DropView(const std::string& name);
  Status RebuildView(const std::string& name,
                     const ViewProgressCallback& progress);
  std::vector<ViewDefinition> ListViews();
  Status ScanView(const std::string& name,
                  const std::function<bool(const ViewRow&)>& visit);
  Result<Hash> ViewDigest(const std::string& name);
  Result<std::unique_ptr<FindCursor>> Find(std::string_view collection,
                                           const Predicate& predicate,
                                           const FindOptions& options);
  Result<QueryPlan> Explain(std::string_view collection,
                            const Predicate& predicate,
                            const FindOptions& options);
  Result<uint64_t> Subscribe(const SubscriptionTarget& target,
                             ChangeCallback callback);
  Status Unsubscribe(uint64_t id);
  Result<DatabaseStatus> GetStatus();
  // Adds to *report what a replay of the log finds different in the stored
  // documents and built views (see Database::Verify). Takes the write
  // lock; Busy inside a transaction (whose edits are not in the log).
  Status VerifyDerived(VerifyReport* report);

  // One side of a sync session over this database (engine/sync/). An
  // empty nonce: a random one. `live`: see SyncOptions::live. `address`:
  // see Database::NewSyncEndpoint. `accept_changes`: see SyncOptions.
  Result<std::unique_ptr<SyncEndpoint>> NewSyncEndpoint(
      bool initiator, const std::string& key, std::string nonce,
      bool live = false, std::string address = "", bool accept_changes = true);

 private:
  // REQUIRES: the write lock. NotFound if the document does not exist.
  Result<Document*> LoadExisting(const DocRef& doc, std::string_view address);
  // The stores a query reads, with this engine's lock (engine_query.cc).
  QuerySources QueryStores();
  // Builds a view in chunks, taking the write lock for each.
  Status BuildView(const std::string& name,
                   const ViewProgressCallback& progress);

  storage::KvStore* store_;
  std::unique_ptr<ChangeLog> log_;
  DocStore docs_;
  ViewStore views_;
  SubscriptionHub subscriptions_;
  ObserverChain observers_;
  const Options options_;
  const World world_;
  std::mutex writer_;
  std::atomic<std::thread::id> writer_owner_;
};

}  // namespace weft::engine
