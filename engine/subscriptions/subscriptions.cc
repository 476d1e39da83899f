#include "engine/subscriptions/subscriptions.h"

namespace weft::engine {

Result<uint64_t> SubscriptionHub::Add(const SubscriptionTarget& target,
                                      ChangeCallback callback) {
  if (!callback)
    return Status::InvalidArgument("subscription without callback");
  switch (target.kind) {
    case SubscriptionTarget::Kind::kDocument:
      WEFT_RETURN_IF_ERROR(ParseDocRef(target.name).status());
      break;
    case SubscriptionTarget::Kind::kCollection:
      if (target.name.empty() || target.name.find('/') != std::string::npos) {
        return Status::InvalidArgument("not a collection name", target.name);
      }
      break;
    case SubscriptionTarget::Kind::kView:
      WEFT_RETURN_IF_ERROR(views_->Find(target.name).status());
      break;
    case SubscriptionTarget::Kind::kAllChanges:
      break;
  }
  std::lock_guard<std::mutex> lock(subscriptions_mutex_);
  uint64_t id = next_id_++;
  subscriptions_[id] =
      std::make_shared<Subscription>(Subscription{target, std::move(callback)});
  count_ = subscriptions_.size();
  return id;
}

Status SubscriptionHub::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(subscriptions_mutex_);
  if (subscriptions_.erase(id) == 0) {
    return Status::NotFound("no subscription", std::to_string(id));
  }
  count_ = subscriptions_.size();
  return Status::OK();
}

bool SubscriptionHub::Watches(const SubscriptionTarget& target,
                              const DocRef& doc) const {
  switch (target.kind) {
    case SubscriptionTarget::Kind::kDocument:
      return target.name.size() == doc.collection.size() + 1 + doc.key.size() &&
             target.name == doc.collection + "/" + doc.key;
    case SubscriptionTarget::Kind::kCollection:
      return target.name == doc.collection;
    case SubscriptionTarget::Kind::kView: {
      Result<const ViewDefinition*> view = views_->Find(target.name);
      return view.ok() && (*view)->collection == doc.collection;
    }
    case SubscriptionTarget::Kind::kAllChanges:
      return false;  // no document states: the event says the change only
  }
  return false;
}

Status SubscriptionHub::OnStage(const Hash& hash, std::string_view /*bytes*/,
                                const Change& change, uint64_t position,
                                bool /*local*/,
                                storage::WriteBatch* /*writes*/) {
  if (count_ == 0) return Status::OK();
  std::vector<std::pair<uint64_t, SubscriptionTarget>> targets;
  {
    std::lock_guard<std::mutex> lock(subscriptions_mutex_);
    for (const auto& [id, subscription] : subscriptions_) {
      targets.emplace_back(id, subscription->target);
    }
  }
  for (const auto& [id, target] : targets) {
    ChangeEvent event;
    for (const DocRef& doc : change.docs) {
      if (!Watches(target, doc)) continue;
      // The document store applied this change just before (it observes
      // first), so this is the state right after it.
      WEFT_ASSIGN_OR_RETURN(Document * document, docs_->Load(doc));
      event.documents.push_back(
          {doc.collection + "/" + doc.key,
           document->Exists() ? document->ToJson() : "null"});
    }
    if (event.documents.empty() &&
        target.kind != SubscriptionTarget::Kind::kAllChanges) {
      continue;
    }
    event.hash = hash;
    event.position = position;
    event.remote = change.actor != local_actor_;
    staged_.push_back({id, std::move(event)});
  }
  return Status::OK();
}

void SubscriptionHub::OnWritten() {
  if (staged_.empty()) return;
  std::lock_guard<std::mutex> lock(ready_mutex_);
  for (Pending& pending : staged_) ready_.push_back(std::move(pending));
  staged_.clear();
}

void SubscriptionHub::Deliver() {
  if (delivering_thread_.load() == std::this_thread::get_id()) return;
  std::lock_guard<std::mutex> delivery(delivery_mutex_);
  delivering_thread_ = std::this_thread::get_id();
  while (true) {
    Pending pending;
    {
      std::lock_guard<std::mutex> lock(ready_mutex_);
      if (ready_.empty()) break;
      pending = std::move(ready_.front());
      ready_.pop_front();
    }
    std::shared_ptr<Subscription> subscription;
    {
      std::lock_guard<std::mutex> lock(subscriptions_mutex_);
      auto found = subscriptions_.find(pending.subscription);
      if (found == subscriptions_.end()) continue;  // unsubscribed
      subscription = found->second;
    }
    subscription->callback(pending.event);
  }
  delivering_thread_ = std::thread::id();
}

}  // namespace weft::engine
