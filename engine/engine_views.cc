// Engine: views, subscriptions and status (the read side's entry points).
#include <algorithm>

#include "engine/engine.h"

namespace weft::engine {

Status Engine::BuildView(const std::string& name,
                         const ViewProgressCallback& progress) {
  ViewBuildProgress report;
  if (progress) {
    WEFT_ASSIGN_OR_RETURN(
        std::string collection, Locked([&]() -> Result<std::string> {
          WEFT_ASSIGN_OR_RETURN(const ViewDefinition* found, views_.Find(name));
          return found->collection;
        }));
    // Documents ever written in the collection.
    WEFT_RETURN_IF_ERROR(Locked([&] {
      return docs_.ForEachDocument(
          [&](const DocRef& doc) {
            if (doc.collection != collection) return false;
            ++report.documents_total;
            return true;
          },
          DocStore::CollectionStart(collection));
    }));
  }
  while (true) {
    bool done = false;
    WEFT_RETURN_IF_ERROR(Locked([&] {
      return views_.BuildStep(
          name, std::max<size_t>(1, options_.view_build_step_documents),
          log_->LogLength(), &done, &report);
    }));
    if (progress) progress(report);
    if (done) return Status::OK();
  }
}

Status Engine::CreateView(const ViewDefinition& definition,
                          const ViewProgressCallback& progress) {
  WEFT_RETURN_IF_ERROR(
      Locked([&] { return views_.Declare(definition, log_->LogLength()); }));
  return BuildView(definition.name, progress);
}

Status Engine::DropView(const std::string& name) {
  return Locked([&] { return views_.Drop(name); });
}

Status Engine::RebuildView(const std::string& name,
                           const ViewProgressCallback& progress) {
  WEFT_RETURN_IF_ERROR(
      Locked([&] { return views_.Reset(name, log_->LogLength()); }));
  return BuildView(name, progress);
}

std::vector<ViewDefinition> Engine::ListViews() {
  return Locked([&] { return views_.Definitions(); });
}

Status Engine::ScanView(const std::string& name,
                        const std::function<bool(const ViewRow&)>& visit) {
  WEFT_ASSIGN_OR_RETURN(
      ViewDefinition definition, Locked([&]() -> Result<ViewDefinition> {
        WEFT_ASSIGN_OR_RETURN(const ViewDefinition* found, views_.Find(name));
        if (views_.IsBuilding(name)) {
          return Status::Busy("view " + name + " is still building");
        }
        return *found;
      }));
  // Outside the lock: `visit` may read the database.
  return views_.ScanRows(definition, visit);
}

Result<Hash> Engine::ViewDigest(const std::string& name) {
  WEFT_RETURN_IF_ERROR(Locked([&] { return views_.Find(name).status(); }));
  return views_.DigestRows(name);
}

Result<uint64_t> Engine::Subscribe(const SubscriptionTarget& target,
                                   ChangeCallback callback) {
  return Locked(
      [&] { return subscriptions_.Add(target, std::move(callback)); });
}

Status Engine::Unsubscribe(uint64_t id) { return subscriptions_.Remove(id); }

Result<DatabaseStatus> Engine::GetStatus() {
  DatabaseStatus status;
  WEFT_RETURN_IF_ERROR(Locked([&]() -> Status {
    status.log_length = log_->LogLength();
    status.heads = log_->Heads();
    status.actors = log_->Actors();
    status.pending = log_->PendingCount();
    for (const ViewDefinition& definition : views_.Definitions()) {
      WEFT_ASSIGN_OR_RETURN(
          ViewStatus view,
          views_.GetStatus(definition.name, status.log_length));
      status.views.push_back(std::move(view));
    }
    return Status::OK();
  }));
  status.size_bytes = store_->ApproximateSizeBytes();
  return status;
}

}  // namespace weft::engine
