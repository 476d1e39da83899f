// ViewStore's rows: what a document contributes to a view, keeping them
// current as documents change, and reading them back.
#include <nlohmann/json.hpp>

#include "dag/sha256.h"
#include "engine/crdt/path.h"
#include "engine/json/json_value.h"
#include "engine/log/keys.h"
#include "engine/views/field.h"
#include "engine/views/predicate.h"
#include "engine/views/view_keys.h"
#include "engine/views/view_store.h"

namespace weft::engine {

using storage::Family;
using view_keys::DocAddress;
using view_keys::DocOfKey;
using view_keys::GetLengthPrefixed;
using view_keys::kGroupRow;
using view_keys::kIndexRow;
using view_keys::kProjectionRow;
using view_keys::kReverseRow;
using view_keys::kRowKinds;
using view_keys::NumberRowKey;
using view_keys::PutLengthPrefixed;
using view_keys::RowPrefix;
using view_keys::StartsWith;

ViewStore::Row ViewStore::ComputeRow(const View& view,
                                     const Document* document) const {
  Row row;
  if (document == nullptr || !document->Exists()) return row;
  const ViewDefinition& definition = view.definition;
  switch (definition.kind) {
    case ViewKind::kIndex: {
      row.value.push_back('[');
      for (const std::string& path : definition.fields) {
        FieldValue field = FieldAt(*document, path);
        EncodeField(field, &row.sort);
        if (row.value.size() > 1) row.value += ",";
        row.value += field.ToJson();
      }
      row.value += "]";
      row.present = true;
      break;
    }
    case ViewKind::kProjection: {
      if (!Matches(definition.filter, *document)) return row;
      if (definition.fields.empty()) {
        row.value = document->ToJson();
      } else {
        nlohmann::json kept = nlohmann::json::object();
        for (const std::string& path : definition.fields) {
          if (std::optional<nlohmann::json> json = JsonAt(*document, path)) {
            kept[path] = std::move(*json);
          }
        }
        row.value = DumpJson(kept);
      }
      row.present = true;
      break;
    }
    case ViewKind::kAggregate: {
      FieldValue field = FieldAt(*document, definition.aggregate_field);
      if (!field.present()) return row;
      FieldValue group;
      if (!definition.group_by.empty()) {
        group = FieldAt(*document, definition.group_by);
      }
      if (!group.present()) group.type = FieldValue::Type::kNull;
      EncodeField(group, &row.sort);
      row.group = group.ToJson();
      if (field.type == FieldValue::Type::kNumber) row.value = field.ToJson();
      row.present = true;
      break;
    }
  }
  return row;
}

Status ViewStore::ReadRow(const View& view, const std::string& doc_key,
                          Row* row) const {
  const std::string& name = view.definition.name;
  bool projection = view.definition.kind == ViewKind::kProjection;
  std::string key = RowPrefix(projection ? kProjectionRow : kReverseRow, name);
  key += doc_key;
  std::string value;
  Status status = store_->Get(Family::kViews, key, &value);
  if (status.IsNotFound()) return Status::OK();
  WEFT_RETURN_IF_ERROR(status);
  row->present = true;
  if (projection) {
    row->value = std::move(value);
    return Status::OK();
  }
  std::string_view rest = value;
  if (!GetLengthPrefixed(&rest, &row->sort) ||
      !GetLengthPrefixed(&rest, &row->value)) {
    return Status::Corruption("views: malformed reverse entry in", name);
  }
  row->group = std::string(rest);
  return Status::OK();
}

Status ViewStore::UpdateDocument(const View& view, const std::string& doc_key,
                                 const Document* document, Groups* groups,
                                 storage::WriteBatch* writes, bool unbuilt) {
  Row old;
  if (!unbuilt) WEFT_RETURN_IF_ERROR(ReadRow(view, doc_key, &old));
  Row row = ComputeRow(view, document);
  if (row == old) return Status::OK();
  const std::string& name = view.definition.name;
  switch (view.definition.kind) {
    case ViewKind::kIndex:
      if (old.present && !(row.present && row.sort == old.sort)) {
        writes->Delete(Family::kViews, IndexPrefix(name) + old.sort + doc_key);
      }
      if (row.present) {
        writes->Put(Family::kViews, IndexPrefix(name) + row.sort + doc_key,
                    row.value);
      }
      break;
    case ViewKind::kProjection: {
      std::string key = RowPrefix(kProjectionRow, name) + doc_key;
      if (row.present) {
        writes->Put(Family::kViews, key, row.value);
      } else {
        writes->Delete(Family::kViews, key);
      }
      return Status::OK();  // the row is its own reverse entry
    }
    case ViewKind::kAggregate:
      for (const auto& [contribution, sign] :
           {std::pair<const Row&, int>{old, -1}, {row, +1}}) {
        if (!contribution.present) continue;
        Group* group;
        WEFT_RETURN_IF_ERROR(LoadGroup(
            RowPrefix(kGroupRow, name) + contribution.sort, groups, &group));
        group->count += sign;
        group->json = contribution.group;
        if (contribution.value.empty()) continue;
        FieldValue number = FieldFromJson(contribution.value);
        std::string key =
            NumberRowKey(name, contribution.sort, number, doc_key);
        if (sign > 0) {
          writes->Put(Family::kViews, key, contribution.value);
        } else {
          writes->Delete(Family::kViews, key);
        }
        if (number.is_integer) {
          group->integer_sum += sign * static_cast<__int128>(number.integer);
        } else {
          group->non_integers += sign;
        }
      }
      break;
  }
  std::string reverse_key = RowPrefix(kReverseRow, name) + doc_key;
  if (!row.present) {
    writes->Delete(Family::kViews, reverse_key);
    return Status::OK();
  }
  std::string reverse;
  PutLengthPrefixed(&reverse, row.sort);
  PutLengthPrefixed(&reverse, row.value);
  reverse += row.group;
  writes->Put(Family::kViews, reverse_key, reverse);
  return Status::OK();
}

Status ViewStore::OnBatchStaged(storage::WriteBatch* writes) {
  if (views_.empty()) return Status::OK();
  Groups groups;
  for (const auto& [doc_key, touched] : docs_->touched_in_batch()) {
    Document* document = nullptr;
    for (const auto& [name, view] : views_) {
      if (view.definition.collection != touched.doc.collection) continue;
      // A build reaches documents after its cursor later, in their state
      // then.
      if (view.building && (view.cursor.empty() || doc_key > view.cursor)) {
        continue;
      }
      if (document == nullptr) {
        WEFT_ASSIGN_OR_RETURN(document, docs_->Load(touched.doc));
      }
      WEFT_RETURN_IF_ERROR(
          UpdateDocument(view, doc_key, document, &groups, writes));
    }
  }
  WriteGroups(groups, writes);
  return Status::OK();
}

Status ViewStore::ScanRows(
    const ViewDefinition& definition,
    const std::function<bool(const ViewRow&)>& visit) const {
  const std::string& name = definition.name;
  if (definition.kind == ViewKind::kAggregate) {
    return ScanAggregate(name, visit);
  }
  bool index = definition.kind == ViewKind::kIndex;
  std::string prefix = RowPrefix(index ? kIndexRow : kProjectionRow, name);
  auto it = store_->NewIterator(Family::kViews);
  for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix);
       it->Next()) {
    ViewRow row;
    DocRef doc;
    // The stored JSON is checked before a caller parses it: damaged bytes
    // are Corruption here, not an exception or garbage there.
    if (index) {
      WEFT_RETURN_IF_ERROR(DocOfIndexRow(it->key(), prefix.size(),
                                         definition.fields.size(), &doc));
      WEFT_RETURN_IF_ERROR(CheckStoredJson(it->value(), "an index row"));
      row.key = std::string(it->value());
    } else {
      WEFT_RETURN_IF_ERROR(DocOfKey(it->key().substr(prefix.size()), &doc));
      WEFT_RETURN_IF_ERROR(CheckStoredJson(it->value(), "a projection row"));
      row.value = std::string(it->value());
    }
    row.doc = DocAddress(doc);
    if (!visit(row)) return Status::OK();
  }
  return it->status();
}

Result<Hash> ViewStore::DigestRows(const std::string& name) const {
  dag::Sha256Stream digest;
  auto it = store_->NewIterator(Family::kViews);
  for (char kind : kRowKinds) {
    std::string prefix = RowPrefix(kind, name);
    for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix);
         it->Next()) {
      std::string framed;
      PutLengthPrefixed(&framed, it->key());
      PutLengthPrefixed(&framed, it->value());
      digest.Update(framed);
    }
    WEFT_RETURN_IF_ERROR(it->status());
  }
  return digest.Finish();
}

}  // namespace weft::engine
