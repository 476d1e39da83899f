#include "engine/views/view_store.h"

#include <nlohmann/json.hpp>

#include "base/varint.h"
#include "dag/sha256.h"
#include "engine/crdt/path.h"
#include "engine/json/json_value.h"
#include "engine/log/keys.h"
#include "engine/views/field.h"
#include "engine/views/predicate.h"

namespace weft::engine {
namespace {

using storage::Family;

constexpr char kDefinition = 'v';  // name -> definition JSON
constexpr char kBuildState = 'b';  // name -> where a build stands
// Rows: kind letter, name, 0x00, then per kind (engine/FORMAT.md).
constexpr char kNumberRow = 'a';      // aggregate: a document's number
constexpr char kGroupRow = 'g';       // aggregate: a group's totals
constexpr char kIndexRow = 'i';       // index: fields, document
constexpr char kProjectionRow = 'p';  // projection: document -> JSON
constexpr char kReverseRow = 'r';     // document -> its current row
constexpr char kRowKinds[] = {kNumberRow, kGroupRow, kIndexRow, kProjectionRow,
                              kReverseRow};

std::string RowPrefix(char kind, const std::string& name) {
  std::string prefix(1, kind);
  prefix += name;
  prefix.push_back('\0');
  return prefix;
}

std::string MetaKey(char kind, const std::string& name) {
  return std::string(1, kind) + name;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool GetLengthPrefixed(std::string_view* in, std::string* out) {
  uint64_t size;
  if (!GetVarint(in, &size) || size > in->size()) return false;
  out->assign(in->substr(0, size));
  in->remove_prefix(size);
  return true;
}

void PutLengthPrefixed(std::string* out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out->append(bytes);
}

std::string Int128ToString(__int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  unsigned __int128 magnitude =
      negative ? -static_cast<unsigned __int128>(value) : value;
  std::string digits;
  for (; magnitude > 0; magnitude /= 10) {
    digits.push_back(static_cast<char>('0' + magnitude % 10));
  }
  if (negative) digits.push_back('-');
  return {digits.rbegin(), digits.rend()};
}

// An aggregate's row of one document's number: group, number, document.
std::string NumberRowKey(const std::string& name, const std::string& group,
                         const FieldValue& number, const std::string& doc_key) {
  std::string key = RowPrefix(kNumberRow, name) + group;
  EncodeField(number, &key);
  return key + doc_key;
}

// JSON read from a row on disk: Corruption if it does not parse (a damaged
// row must not throw out of a scan).
Status StoredJson(std::string_view text, nlohmann::json* json) {
  WEFT_ASSIGN_OR_RETURN(*json, ParseStoredJson(text, "views: a row"));
  return Status::OK();
}

Status DocOfKey(std::string_view doc_key, DocRef* doc) {
  if (!ReadEscaped(&doc_key, &doc->collection) ||
      !ReadEscaped(&doc_key, &doc->key) || !doc_key.empty()) {
    return Status::Corruption("views: malformed document key in a row");
  }
  return Status::OK();
}

std::string DocAddress(const DocRef& doc) {
  return doc.collection + "/" + doc.key;
}

}  // namespace

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

ViewStore::Row ViewStore::ComputeRow(const View& view,
                                     const Document* document) const {
  Row row;
  if (document == nullptr || !document->Exists()) return row;
  const ViewDefinition& definition = view.definition;
  switch (definition.kind) {
    case ViewKind::kIndex: {
      row.value = "[";
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

Status ViewStore::LoadGroup(const std::string& key, Groups* groups,
                            Group** group) const {
  auto [it, inserted] = groups->try_emplace(key);
  *group = &it->second;
  if (!inserted) return Status::OK();
  std::string value;
  Status status = store_->Get(Family::kViews, key, &value);
  if (status.IsNotFound()) return Status::OK();
  WEFT_RETURN_IF_ERROR(status);
  std::string_view rest = value;
  if (!GetVarint(&rest, &it->second.count) ||
      !GetVarint(&rest, &it->second.non_integers) || rest.size() < 16) {
    return Status::Corruption("views: malformed group row");
  }
  unsigned __int128 bits = 0;
  for (int idx = 0; idx < 16; ++idx) {
    bits = (bits << 8) | static_cast<uint8_t>(rest[idx]);
  }
  it->second.integer_sum = static_cast<__int128>(bits);
  it->second.json = std::string(rest.substr(16));
  return Status::OK();
}

void ViewStore::WriteGroups(const Groups& groups, storage::WriteBatch* writes) {
  for (const auto& [key, group] : groups) {
    if (group.count == 0) {
      writes->Delete(Family::kViews, key);
      continue;
    }
    std::string value;
    PutVarint(&value, group.count);
    PutVarint(&value, group.non_integers);
    auto bits = static_cast<unsigned __int128>(group.integer_sum);
    for (int shift = 120; shift >= 0; shift -= 8) {
      value.push_back(static_cast<char>(bits >> shift));
    }
    value += group.json;
    writes->Put(Family::kViews, key, value);
  }
}

Status ViewStore::UpdateDocument(const View& view, const std::string& doc_key,
                                 const Document* document, Groups* groups,
                                 storage::WriteBatch* writes) {
  Row old;
  WEFT_RETURN_IF_ERROR(ReadRow(view, doc_key, &old));
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
    WEFT_RETURN_IF_ERROR(docs_->ForEachDocument(
        [&](const DocRef& doc) {
          if (doc.collection != collection) return false;
          if (built == max_documents) {
            more = true;
            return false;
          }
          std::string doc_key = DocKey(doc);
          Result<Document*> document = docs_->Load(doc);
          step = document.ok() ? UpdateDocument(next, doc_key, *document,
                                                &groups, writes.get())
                               : document.status();
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

Status ViewStore::ScanAggregate(
    const std::string& name,
    const std::function<bool(const ViewRow&)>& visit) const {
  std::string group_prefix = RowPrefix(kGroupRow, name);
  auto groups = store_->NewIterator(Family::kViews);
  auto numbers = store_->NewIterator(Family::kViews);
  for (groups->Seek(group_prefix);
       groups->Valid() && StartsWith(groups->key(), group_prefix);
       groups->Next()) {
    std::string group_key(groups->key());
    Groups loaded;
    Group* group;
    WEFT_RETURN_IF_ERROR(LoadGroup(group_key, &loaded, &group));
    std::string number_prefix =
        RowPrefix(kNumberRow, name) + group_key.substr(group_prefix.size());
    nlohmann::json totals = {{"count", group->count},
                             {"sum", nullptr},
                             {"min", nullptr},
                             {"max", nullptr}};
    numbers->Seek(number_prefix);
    if (numbers->Valid() && StartsWith(numbers->key(), number_prefix)) {
      WEFT_RETURN_IF_ERROR(StoredJson(numbers->value(), &totals["min"]));
      if (group->non_integers == 0) {
        totals["sum"] =
            nlohmann::json::parse(Int128ToString(group->integer_sum));
      } else {
        // Floats are summed here, in key order, so that the result does
        // not depend on the order documents changed in.
        double sum = 0;
        for (; numbers->Valid() && StartsWith(numbers->key(), number_prefix);
             numbers->Next()) {
          sum += FieldFromJson(numbers->value()).number;
        }
        totals["sum"] = sum;
      }
      numbers->Seek(number_prefix + "\xff");
      if (numbers->Valid()) {
        numbers->Prev();
      } else {
        numbers->SeekToLast();
      }
      WEFT_RETURN_IF_ERROR(StoredJson(numbers->value(), &totals["max"]));
    }
    WEFT_RETURN_IF_ERROR(numbers->status());
    nlohmann::json group_json;  // checked: callers parse it as JSON
    WEFT_RETURN_IF_ERROR(StoredJson(group->json, &group_json));
    if (!visit(ViewRow{"", group->json, totals.dump()})) return Status::OK();
  }
  return groups->status();
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
