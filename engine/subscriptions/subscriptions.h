// Subscriptions: callbacks for committed changes that touch a document, a
// collection or a view's collection (DESIGN.md §6). Events are gathered
// while a batch is staged, dropped if it is not written, and delivered
// after the write, outside the database's lock, in log order.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/log/change_observer.h"
#include "engine/state/doc_store.h"
#include "engine/views/view_store.h"
#include "weft/view.h"

namespace weft::engine {

class SubscriptionHub : public ChangeObserver {
 public:
  SubscriptionHub(DocStore* docs, const ViewStore* views,
                  const ActorId& local_actor)
      : docs_(docs), views_(views), local_actor_(local_actor) {}

  // REQUIRES: the write lock (a view target is looked up).
  Result<uint64_t> Add(const SubscriptionTarget& target,
                       ChangeCallback callback);
  Status Remove(uint64_t id);

  // Calls the callbacks of every written event not yet delivered. Call it
  // without holding the write lock; a call from inside a callback returns
  // at once (the delivery already running goes on with the new events).
  void Deliver();

  Status OnStage(const Hash& hash, std::string_view bytes, const Change& change,
                 uint64_t position, bool local,
                 storage::WriteBatch* writes) override;
  Status OnBatchStaged(storage::WriteBatch*) override { return Status::OK(); }
  void OnAbort() override { staged_.clear(); }
  void OnWritten() override;

 private:
  struct Subscription {
    SubscriptionTarget target;
    ChangeCallback callback;
  };
  struct Pending {
    uint64_t subscription;
    ChangeEvent event;
  };
  bool Watches(const SubscriptionTarget& target, const DocRef& doc) const;

  DocStore* const docs_;
  const ViewStore* const views_;
  const ActorId local_actor_;

  std::mutex subscriptions_mutex_;  // guards the two below
  std::map<uint64_t, std::shared_ptr<Subscription>> subscriptions_;
  uint64_t next_id_ = 1;
  std::atomic<size_t> count_{0};

  std::vector<Pending> staged_;  // under the write lock
  std::mutex ready_mutex_;
  std::deque<Pending> ready_;  // written, not yet delivered

  std::mutex delivery_mutex_;  // one delivery at a time, in order
  std::atomic<std::thread::id> delivering_thread_;
};

}  // namespace weft::engine
