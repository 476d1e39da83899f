// ViewStore's builds and checks: building a view a step at a time, and
// verifying a built view's rows against its documents.
#include "engine/log/keys.h"
#include "engine/views/view_keys.h"
#include "engine/views/view_store.h"

namespace weft::engine {

using storage::Family;
using view_keys::DocAddress;
using view_keys::kBuildState;
using view_keys::kGroupRow;
using view_keys::kIndexRow;
using view_keys::kNumberRow;
using view_keys::kProjectionRow;
using view_keys::kReverseRow;
using view_keys::MetaKey;
using view_keys::NumberRowKey;
using view_keys::RowPrefix;
using view_keys::StartsWith;

Status ViewStore::BuildStep(const std::string& name, size_t max_documents,
                            uint64_t log_length, bool* done,
                            ViewBuildProgress* progress) {
  auto found = views_.find(name);
  if (found == views_.end()) return Status::NotFound("no view named", name);
  View next = found->second;
  const std::string& collection = next.definition.collection;
  auto writes = store_->NewBatch();
  Groups groups;
  size_t built = 0;
  bool more = false;
  Status step;
  if (next.building) {
    std::string start = next.cursor.empty()
                            ? DocStore::CollectionStart(collection)
                            : DocStore::KeyAfter(next.cursor);
    WEFT_RETURN_IF_ERROR(docs_->ForEachState(
        [&](const DocRef& doc, std::string_view key,
            DocStore::StateRef& state) {
          if (doc.collection != collection) return false;
          if (built == max_documents) {
            more = true;
            return false;
          }
          Result<const Document*> document = state.document();
          if (!document.ok()) return false;  // ForEachState says why
          std::string doc_key(key);
          step = UpdateDocument(next, doc_key, *document, &groups, writes.get(),
                                /*unbuilt=*/true);
          if (!step.ok()) return false;
          next.cursor = std::move(doc_key);
          ++built;
          return true;
        },
        start));
    WEFT_RETURN_IF_ERROR(step);
    WriteGroups(groups, writes.get());
    next.documents_done += built;
    next.checkpoint = log_length;
    next.building = more;
    if (more) {
      PutBuildState(next, writes.get());
    } else {
      writes->Delete(Family::kViews, MetaKey(kBuildState, name));
    }
    WEFT_RETURN_IF_ERROR(store_->Write(writes.get(), sync_));
    found->second = std::move(next);
  }
  *done = !found->second.building;
  progress->view = name;
  progress->documents_done = found->second.documents_done;
  return Status::OK();
}

Result<uint64_t> ViewStore::CountRows(char kind,
                                      const std::string& name) const {
  std::string prefix = RowPrefix(kind, name);
  auto it = store_->NewIterator(Family::kViews);
  uint64_t rows = 0;
  for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix);
       it->Next()) {
    ++rows;
  }
  WEFT_RETURN_IF_ERROR(it->status());
  return rows;
}

Status ViewStore::ExpectRow(const std::string& key, const std::string& value,
                            const std::string& what,
                            std::vector<std::string>* problems) const {
  std::string stored;
  Status status = store_->Get(Family::kViews, key, &stored);
  if (status.IsNotFound()) {
    problems->push_back(what + " is missing");
  } else if (!status.ok()) {
    return status;
  } else if (stored != value) {
    problems->push_back(what + " differs from its document's");
  }
  return Status::OK();
}

Status ViewStore::VerifyRows(const std::string& name, uint64_t* rows_checked,
                             std::vector<std::string>* problems) {
  WEFT_ASSIGN_OR_RETURN(const View* view, FindView(name));
  if (view->building) return Status::OK();
  const ViewDefinition& definition = view->definition;
  const std::string at = "view " + name + ": ";
  Groups expected_groups;   // aggregate: by group row key
  uint64_t doc_rows = 0;    // reverse entries (projection: rows)
  uint64_t keyed_rows = 0;  // index rows, number rows
  Status step;
  auto check = [&](const DocRef& doc) -> Status {
    std::string doc_key = DocKey(doc);
    std::string of = at + "the row of " + DocAddress(doc);
    Result<Document*> document = docs_->Load(doc);
    if (document.status().IsCorruption()) {  // reported with the document
      problems->push_back(of +
                          " cannot be checked: its document does not "
                          "load");
      return Status::OK();
    }
    WEFT_RETURN_IF_ERROR(document.status());
    Row expected = ComputeRow(*view, *document), stored;
    Status read = ReadRow(*view, doc_key, &stored);
    if (read.IsCorruption()) {
      problems->push_back(of + ": " + read.ToString());
    } else if (!read.ok()) {
      return read;
    } else if (!(stored == expected)) {
      problems->push_back(of + (expected.present == stored.present
                                    ? " differs from its document's"
                                : expected.present ? " is missing"
                                                   : " should not be"));
    }
    if (!expected.present) return Status::OK();
    ++doc_rows;
    if (definition.kind == ViewKind::kIndex) {
      ++keyed_rows;
      return ExpectRow(IndexPrefix(name) + expected.sort + doc_key,
                       expected.value,
                       at + "the index row of " + DocAddress(doc), problems);
    }
    if (definition.kind != ViewKind::kAggregate) return Status::OK();
    Group& group = expected_groups[RowPrefix(kGroupRow, name) + expected.sort];
    ++group.count;
    group.json = expected.group;
    if (expected.value.empty()) return Status::OK();
    FieldValue number = FieldFromJson(expected.value);
    if (number.is_integer) {
      group.integer_sum += number.integer;
    } else {
      ++group.non_integers;
    }
    ++keyed_rows;
    return ExpectRow(NumberRowKey(name, expected.sort, number, doc_key),
                     expected.value,
                     at + "the number row of " + DocAddress(doc), problems);
  };
  WEFT_RETURN_IF_ERROR(docs_->ForEachDocument(
      [&](const DocRef& doc) {
        if (doc.collection != definition.collection) return false;
        step = check(doc);
        return step.ok();
      },
      DocStore::CollectionStart(definition.collection)));
  WEFT_RETURN_IF_ERROR(step);
  *rows_checked += doc_rows + keyed_rows;
  // Every expected row is there; now nothing else may be.
  bool projection = definition.kind == ViewKind::kProjection;
  std::vector<std::pair<char, uint64_t>> counts = {
      {projection ? kProjectionRow : kReverseRow, doc_rows}};
  if (definition.kind == ViewKind::kIndex)
    counts.push_back({kIndexRow, keyed_rows});
  if (definition.kind == ViewKind::kAggregate) {
    counts.push_back({kNumberRow, keyed_rows});
    counts.push_back({kGroupRow, expected_groups.size()});
  }
  for (const auto& [kind, expected] : counts) {
    WEFT_ASSIGN_OR_RETURN(uint64_t stored, CountRows(kind, name));
    if (stored != expected) {
      problems->push_back(at + std::to_string(stored) + " rows of kind '" +
                          std::string(1, kind) + "' where its documents make " +
                          std::to_string(expected));
    }
  }
  for (const auto& [key, expected] : expected_groups) {
    Groups loaded;
    Group* stored;
    Status status = LoadGroup(key, &loaded, &stored);
    if (!status.ok() && !status.IsCorruption()) return status;
    if (!status.ok() || !(*stored == expected)) {
      problems->push_back(at + "the totals of group " + expected.json +
                          " differ from its documents'");
    }
  }
  return Status::OK();
}

}  // namespace weft::engine
