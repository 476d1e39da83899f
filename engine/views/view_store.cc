// ViewStore's catalog: the definitions and build states of views, and
// declaring, resetting and dropping them.
#include "engine/views/view_store.h"

#include "base/varint.h"
#include "engine/views/predicate.h"
#include "engine/views/view_keys.h"

namespace weft::engine {

using storage::Family;
using view_keys::DocOfKey;
using view_keys::kBuildState;
using view_keys::kDefinition;
using view_keys::kIndexRow;
using view_keys::kRowKinds;
using view_keys::MetaKey;
using view_keys::RowPrefix;

std::string ViewStore::IndexPrefix(const std::string& name) {
  return RowPrefix(kIndexRow, name);
}

Status ViewStore::DocOfIndexRow(std::string_view key, size_t prefix_size,
                                size_t field_count, DocRef* doc) {
  key.remove_prefix(prefix_size);
  for (size_t field = 0; field < field_count; ++field) {
    if (!SkipEncodedField(&key)) {
      return Status::Corruption("views: malformed index row");
    }
  }
  return DocOfKey(key, doc);
}

Status ViewStore::Load() {
  views_.clear();
  auto it = store_->NewIterator(Family::kViews);
  for (it->Seek(std::string(1, kDefinition));
       it->Valid() && it->key()[0] == kDefinition; it->Next()) {
    Result<ViewDefinition> definition = ViewDefinition::FromJson(it->value());
    std::string name(it->key().substr(1));
    if (!definition.ok() || definition->name != name) {
      return Status::Corruption("views: unreadable definition of", name);
    }
    views_[name].definition = std::move(definition).value();
  }
  for (it->Seek(std::string(1, kBuildState));
       it->Valid() && it->key()[0] == kBuildState; it->Next()) {
    auto view = views_.find(std::string(it->key().substr(1)));
    std::string_view value = it->value();
    if (view == views_.end() ||
        !GetVarint(&value, &view->second.documents_done) ||
        !GetVarint(&value, &view->second.checkpoint)) {
      return Status::Corruption("views: malformed build state");
    }
    view->second.building = true;
    view->second.cursor = std::string(value);
  }
  return it->status();
}

void ViewStore::PutBuildState(const View& view,
                              storage::WriteBatch* writes) const {
  std::string value;
  PutVarint(&value, view.documents_done);
  PutVarint(&value, view.checkpoint);
  value += view.cursor;
  writes->Put(Family::kViews, MetaKey(kBuildState, view.definition.name),
              value);
}

// Range deletes only where rows exist: a new view's name usually has none,
// and a range tombstone costs every later read of the family until
// compacted away (RocksDB 7.8 also asserted on one in a memtable whose
// flush had failed).
void ViewStore::DeleteRows(const std::string& name,
                           storage::WriteBatch* writes) const {
  auto it = store_->NewIterator(Family::kViews);
  for (char kind : kRowKinds) {
    std::string begin = RowPrefix(kind, name), end = begin;
    end.back() = '\x01';
    it->Seek(begin);
    if (!it->Valid() || it->key() >= end) continue;
    writes->DeleteRange(Family::kViews, begin, end);
  }
}

Status ViewStore::Declare(const ViewDefinition& definition,
                          uint64_t log_length) {
  WEFT_RETURN_IF_ERROR(ValidateDefinition(definition));
  if (views_.count(definition.name)) {
    return Status::AlreadyExists("a view is already named", definition.name);
  }
  View view;
  view.definition = definition;
  view.building = true;
  view.checkpoint = log_length;
  auto writes = store_->NewBatch();
  writes->Put(Family::kViews, MetaKey(kDefinition, definition.name),
              definition.ToJson());
  PutBuildState(view, writes.get());
  DeleteRows(definition.name, writes.get());
  WEFT_RETURN_IF_ERROR(store_->Write(writes.get(), sync_));
  views_[definition.name] = std::move(view);
  return Status::OK();
}

Status ViewStore::Reset(const std::string& name, uint64_t log_length) {
  auto found = views_.find(name);
  if (found == views_.end()) return Status::NotFound("no view named", name);
  View view;
  view.definition = found->second.definition;
  view.building = true;
  view.checkpoint = log_length;
  auto writes = store_->NewBatch();
  DeleteRows(name, writes.get());
  PutBuildState(view, writes.get());
  WEFT_RETURN_IF_ERROR(store_->Write(writes.get(), sync_));
  found->second = std::move(view);
  return Status::OK();
}

Status ViewStore::Drop(const std::string& name) {
  if (!views_.count(name)) return Status::NotFound("no view named", name);
  auto writes = store_->NewBatch();
  writes->Delete(Family::kViews, MetaKey(kDefinition, name));
  writes->Delete(Family::kViews, MetaKey(kBuildState, name));
  DeleteRows(name, writes.get());
  WEFT_RETURN_IF_ERROR(store_->Write(writes.get(), sync_));
  views_.erase(name);
  return Status::OK();
}

std::vector<std::string> ViewStore::BuildingViews() const {
  std::vector<std::string> names;
  for (const auto& [name, view] : views_) {
    if (view.building) names.push_back(name);
  }
  return names;
}

std::vector<ViewDefinition> ViewStore::Definitions() const {
  std::vector<ViewDefinition> definitions;
  for (const auto& [name, view] : views_) {
    definitions.push_back(view.definition);
  }
  return definitions;
}

Result<const ViewStore::View*> ViewStore::FindView(
    const std::string& name) const {
  auto found = views_.find(name);
  if (found == views_.end()) return Status::NotFound("no view named", name);
  return &found->second;
}

Result<const ViewDefinition*> ViewStore::Find(const std::string& name) const {
  WEFT_ASSIGN_OR_RETURN(const View* view, FindView(name));
  return &view->definition;
}

bool ViewStore::IsBuilding(const std::string& name) const {
  auto found = views_.find(name);
  return found != views_.end() && found->second.building;
}

Result<ViewStatus> ViewStore::GetStatus(const std::string& name,
                                        uint64_t log_length) const {
  WEFT_ASSIGN_OR_RETURN(const View* view, FindView(name));
  ViewStatus status;
  status.definition = view->definition;
  status.building = view->building;
  // A built view is written in the same batch as every change: it reflects
  // the whole log by construction.
  status.checkpoint = view->building ? view->checkpoint : log_length;
  status.lag = log_length - status.checkpoint;
  status.documents_done = view->documents_done;
  return status;
}

}  // namespace weft::engine
