#include "engine/state/doc_store.h"

#include "base/varint.h"
#include "dag/change_codec.h"
#include "engine/log/change_log.h"
#include "engine/log/keys.h"

namespace weft::engine {
namespace {

using storage::Family;

// docs family, format 8 (format 7 differs in the `s` value only: varint
// checkpoint, state; and a document may have no `s` entry):
//   s DocKey              -> varint (checkpoint << 1 | row), Document state
//   t DocKey position u64 -> history entry: varint n, n-1 varint deltas
// A row (low bit 1) is the state with every change that touched the
// document: each batch that changes a row rewrites it. A snapshot (low bit
// 0) is the state as of log position `checkpoint`; the changes after it
// are found through the history entries.
constexpr char kSnapshotPrefix = 's';
constexpr char kTouchPrefix = 't';
// meta: the DocKey through which a move from format 7 has rewritten the
// `s` entries (absent once it is done).
constexpr std::string_view kMetaDocsMovedThrough = "docs_moved_through";
constexpr size_t kMovedPerBatch = 1024;  // documents
// A snapshot is written once a document's tail reaches 4096 changes or four
// times the snapshot's size (at least 64 KiB): bytes written per edit are
// then the edit plus at most a quarter of it in snapshots, and a load after
// a crash replays at most that tail. A clean close snapshots every changed
// document, so a load after it replays nothing.
constexpr uint64_t kTailChangesMax = 4096;
constexpr uint64_t kTailBytesPerSnapshotByte = 4;
constexpr uint64_t kTailBytesMin = 64u << 10;
constexpr size_t kCachedDocsMax = 4096;
constexpr size_t kDecodedBytesMax = 1u << 20;  // encoded bytes
constexpr size_t kDecodedChangesMax = 256;
// History entries are written once the changes not yet written span 256
// log positions: one entry per document for all of them. Writing one per
// commit cost about a tenth of a one-edit commit (an extra key in the
// write-ahead log and the memtable).
constexpr uint64_t kTouchesPerWrite = 256;
// meta: the log position through which every history entry is written
// (u64 big-endian).
constexpr std::string_view kMetaTouchesAt = "touches_at";

std::string SnapshotKey(const std::string& doc_key) {
  return kSnapshotPrefix + doc_key;
}

std::string TouchKey(const std::string& doc_key, uint64_t position) {
  return kTouchPrefix + doc_key + EncodePosition(position);
}

// The document of an `s` key's DocKey (the key without its prefix).
Status ParseStateKey(std::string_view doc_key, DocRef* doc) {
  if (!ReadEscaped(&doc_key, &doc->collection) ||
      !ReadEscaped(&doc_key, &doc->key) || !doc_key.empty()) {
    return Status::Corruption("docs: malformed state key");
  }
  return Status::OK();
}

// The index of `doc` in change.docs, or -1.
int DocIndex(const Change& change, const DocRef& doc) {
  for (size_t doc_idx = 0; doc_idx < change.docs.size(); ++doc_idx) {
    if (change.docs[doc_idx] == doc) return static_cast<int>(doc_idx);
  }
  return -1;
}

}  // namespace

std::string DocKey(const DocRef& doc) {
  std::string key;
  AppendEscaped(&key, doc.collection);
  AppendEscaped(&key, doc.key);
  return key;
}

Result<DocRef> ParseDocRef(std::string_view address) {
  size_t slash = address.find('/');
  if (slash == std::string_view::npos || slash == 0 ||
      slash + 1 == address.size()) {
    return Status::InvalidArgument(
        "a document is addressed collection/key, not", address);
  }
  DocRef doc{std::string(address.substr(0, slash)),
             std::string(address.substr(slash + 1))};
  if (!dag::IsValidUtf8(address) || doc.collection.size() > 4096 ||
      doc.key.size() > 4096) {
    return Status::InvalidArgument("document address not UTF-8 or too long");
  }
  return doc;
}

Status DocStore::ForEachTouch(const DocRef& doc, uint64_t first_position,
                              const std::function<bool(uint64_t)>& visit) {
  const std::string doc_key = DocKey(doc);
  std::string prefix = kTouchPrefix + doc_key;
  std::string target = prefix + EncodePosition(first_position);
  auto it = store_->NewIterator(Family::kDocs);
  // A run keyed before first_position may still hold later positions:
  // start from the run just before the target when it is this document's.
  it->Seek(target);
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  if (!it->Valid() || it->key().substr(0, prefix.size()) != prefix) {
    it->Seek(target);
  }
  for (; it->Valid(); it->Next()) {
    std::string_view key = it->key();
    if (key.substr(0, prefix.size()) != prefix) break;
    uint64_t position, count, delta;
    std::string_view run = it->value();
    if (!DecodePosition(key.substr(prefix.size()), &position) ||
        !GetVarint(&run, &count) || count == 0 || count > run.size() + 1) {
      return Status::Corruption("docs: malformed history entry");
    }
    for (uint64_t entry = 0; entry < count; ++entry) {
      if (entry > 0) {
        if (!GetVarint(&run, &delta) || delta == 0) {
          return Status::Corruption("docs: malformed history entry");
        }
        position += delta;
      }
      if (position >= first_position && !visit(position)) {
        return Status::OK();
      }
    }
  }
  WEFT_RETURN_IF_ERROR(it->status());
  // Those not yet written all come after those written.
  auto unwritten = unwritten_touches_.find(doc_key);
  if (unwritten == unwritten_touches_.end()) return Status::OK();
  for (uint64_t position : unwritten->second.positions) {
    if (position >= first_position && !visit(position)) break;
  }
  return Status::OK();
}

std::string DocStore::KeyAfter(std::string_view doc_key) {
  // History keys are the DocKey then an 8-byte position: nine 0xff bytes
  // sort after all of them (and no DocKey byte after a part's end is 0xff).
  return std::string(doc_key) + std::string(9, '\xff');
}

std::string DocStore::CollectionStart(std::string_view collection) {
  std::string start;
  AppendEscaped(&start, collection);
  return start;
}

Status DocStore::SeekDocument(storage::Iterator* it, std::string_view start,
                              DocRef* doc, bool* found) const {
  *found = false;
  if (!before_rows_) {
    it->Seek(kSnapshotPrefix + std::string(start));
    WEFT_RETURN_IF_ERROR(it->status());
    if (!it->Valid() || it->key()[0] != kSnapshotPrefix) return Status::OK();
    WEFT_RETURN_IF_ERROR(ParseStateKey(it->key().substr(1), doc));
    *found = true;
    return Status::OK();
  }
  it->Seek(kTouchPrefix + std::string(start));
  WEFT_RETURN_IF_ERROR(it->status());
  std::string_view key = it->Valid() ? it->key() : std::string_view();
  if (!key.empty() && key[0] == kTouchPrefix) {
    std::string_view rest = key.substr(1);
    if (!ReadEscaped(&rest, &doc->collection) ||
        !ReadEscaped(&rest, &doc->key)) {
      return Status::Corruption("docs: malformed history key");
    }
    *found = true;
  }
  // A document whose history is not written yet may come first.
  auto unwritten = unwritten_touches_.lower_bound(std::string(start));
  if (unwritten != unwritten_touches_.end() &&
      (!*found || unwritten->first < DocKey(*doc))) {
    *doc = unwritten->second.doc;
    *found = true;
  }
  return Status::OK();
}

Result<const Document*> DocStore::StateRef::document() {
  if (document_ != nullptr) return document_;
  Result<Document> decoded = Document::Deserialize(row_);
  if (!decoded.ok()) {
    status_ = decoded.status();
    return status_;
  }
  decoded_ = std::move(decoded).value();
  document_ = &*decoded_;
  return document_;
}

Status DocStore::ForEachState(const StateVisitor& visit,
                              std::string_view start) {
  if (before_rows_) {  // format 7: a load per document
    Status status;
    WEFT_RETURN_IF_ERROR(ForEachDocument(
        [&](const DocRef& doc) {
          Result<Document*> document = Load(doc);
          status = document.status();
          if (!status.ok()) return false;
          StateRef state;
          state.document_ = *document;
          return visit(doc, DocKey(doc), state);
        },
        start));
    return status;
  }
  auto it = store_->NewIterator(Family::kDocs);
  for (it->Seek(kSnapshotPrefix + std::string(start));
       it->Valid() && it->key()[0] == kSnapshotPrefix; it->Next()) {
    std::string_view doc_key = it->key().substr(1);
    DocRef doc;
    WEFT_RETURN_IF_ERROR(ParseStateKey(doc_key, &doc));
    // What this process holds is newer than the store only inside a
    // transaction, which holds the lock a scan takes.
    StateRef state;
    std::string_view value = it->value();
    uint64_t tag;
    if (auto cached = cache_.find(doc_key); cached != cache_.end()) {
      state.document_ = &cached->second.document;
    } else if (!GetVarint(&value, &tag)) {
      return Status::Corruption("docs: malformed state of",
                                std::string(doc_key));
    } else if ((tag & 1) != 0) {
      state.row_ = value;  // decoded only if the visitor asks
    } else {
      WEFT_ASSIGN_OR_RETURN(Cached * loaded, LoadCached(doc));
      state.document_ = &loaded->document;
    }
    bool more = visit(doc, doc_key, state);
    WEFT_RETURN_IF_ERROR(state.status_);
    if (!more) return Status::OK();
  }
  return it->status();
}

Status DocStore::ForEachDocument(
    const std::function<bool(const DocRef&)>& visit, std::string_view start) {
  auto it = store_->NewIterator(Family::kDocs);
  std::string next(start);
  while (true) {
    DocRef doc;
    bool found;
    WEFT_RETURN_IF_ERROR(SeekDocument(it.get(), next, &doc, &found));
    if (!found || !visit(doc)) return Status::OK();
    next = KeyAfter(DocKey(doc));
  }
}

Result<DocStore::Cached*> DocStore::LoadCached(const DocRef& doc) {
  std::string doc_key = DocKey(doc);
  if (auto it = cache_.find(doc_key); it != cache_.end()) return &it->second;
  EvictIfFull();
  WEFT_ASSIGN_OR_RETURN(Cached cached, ReadStored(doc, doc_key));
  return &cache_.emplace(doc_key, std::move(cached)).first->second;
}

Status DocStore::DecodeStored(std::string_view doc_key, std::string_view value,
                              Cached* cached, uint64_t* checkpoint) const {
  std::string_view rest = value;
  uint64_t tag;
  if (!GetVarint(&rest, &tag)) {
    return Status::Corruption("docs: malformed state of", std::string(doc_key));
  }
  bool old_layout = InOldLayout(doc_key);
  *checkpoint = old_layout ? tag : tag >> 1;
  WEFT_ASSIGN_OR_RETURN(cached->document, Document::Deserialize(rest));
  cached->snapshot_bytes = value.size();
  cached->stored = true;
  cached->row = !old_layout && (tag & 1) != 0;
  return Status::OK();
}

Result<DocStore::Cached> DocStore::ReadStored(const DocRef& doc,
                                              const std::string& doc_key) {
  Cached cached;
  uint64_t checkpoint = 0;
  std::string value;
  Status status = store_->Get(Family::kDocs, SnapshotKey(doc_key), &value);
  if (status.ok()) {
    WEFT_RETURN_IF_ERROR(DecodeStored(doc_key, value, &cached, &checkpoint));
    if (cached.row) return cached;  // every change is in it
  } else if (!status.IsNotFound()) {
    return status;
  }
  // Replay the bounded tail: the changes since the snapshot.
  WEFT_RETURN_IF_ERROR(Replay(doc, checkpoint + 1, nullptr, &cached.document,
                              &cached.tail_changes, &cached.tail_bytes));
  return cached;
}

Status DocStore::VerifyDocuments(const std::vector<DocRef>& docs,
                                 uint64_t* touches,
                                 std::vector<std::string>* problems) {
  struct Replay {
    Document document;
    std::set<uint64_t> positions;  // of the changes that touch it
  };
  std::unordered_map<std::string, Replay> replays;  // by DocKey
  for (const DocRef& doc : docs) replays[DocKey(doc)];
  // Entries that do not read (a damaged run) are skipped: the log's own
  // check reports them, and the documents they touch then differ.
  auto it = store_->NewIterator(Family::kLog);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t key_position;
    if (!DecodePosition(it->key(), &key_position)) continue;
    bool stopped;
    ExpandLogEntry(
        key_position, it->value(), runs_,
        [&](uint64_t position, const Hash&, std::string_view bytes,
            const Change*) {
          Result<Change> change = dag::DecodeChange(bytes);
          if (!change.ok()) return true;
          for (size_t doc_idx = 0; doc_idx < change->docs.size(); ++doc_idx) {
            auto found = replays.find(DocKey(change->docs[doc_idx]));
            if (found == replays.end()) continue;
            found->second.document.ApplyChange(*change,
                                               static_cast<int>(doc_idx));
            found->second.positions.insert(position);
          }
          return true;
        },
        &stopped)
        .PermitUncheckedError();
  }
  WEFT_RETURN_IF_ERROR(it->status());
  for (const DocRef& doc : docs) {
    const Replay& replay = replays[DocKey(doc)];
    std::string at = "document " + doc.collection + "/" + doc.key + ": ";
    uint64_t previous = 0;
    WEFT_RETURN_IF_ERROR(ForEachTouch(doc, 1, [&](uint64_t position) {
      ++*touches;
      std::string entry =
          "its history names log position " + std::to_string(position);
      if (position <= previous) {
        problems->push_back(at + entry + " out of order");
      }
      previous = position;
      if (replay.positions.count(position) == 0) {
        problems->push_back(at + entry + ", whose change does not touch it");
      }
      return true;
    }));
    CompareWithReplay(doc, at, replay.document.Serialize(), problems);
  }
  return Status::OK();
}

void DocStore::CompareWithReplay(const DocRef& doc, const std::string& at,
                                 const std::string& expected,
                                 std::vector<std::string>* problems) {
  // What the disk holds (snapshot and tail), and what this process holds.
  std::string doc_key = DocKey(doc);
  Result<Cached> stored = ReadStored(doc, doc_key);
  if (!stored.ok()) {
    problems->push_back(
        at + "its stored state does not load: " + stored.status().ToString());
  } else if (stored->document.Serialize() != expected) {
    problems->push_back(at + "its stored state differs from the log's replay");
  }
  auto cached = cache_.find(doc_key);
  if (cached != cache_.end() &&
      cached->second.document.Serialize() != expected) {
    problems->push_back(at + "its state in memory differs from the log's");
  }
}

Result<Document*> DocStore::Load(const DocRef& doc) {
  WEFT_ASSIGN_OR_RETURN(Cached * cached, LoadCached(doc));
  return &cached->document;
}

void DocStore::Invalidate(const DocRef& doc) { cache_.erase(DocKey(doc)); }

void DocStore::EvictIfFull() {
  // The documents the current batch changes must stay (their new state is
  // only here until the batch is written), however many there are: the
  // bound applies to the others. Evicting down to half keeps the cost of
  // each pass amortized over the loads that refill it.
  size_t pinned = touched_in_batch_.size();
  if (cache_.size() < kCachedDocsMax + pinned) return;
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = touched_in_batch_.count(it->first) ? std::next(it) : cache_.erase(it);
    if (cache_.size() < kCachedDocsMax / 2 + pinned) break;
  }
}

Status DocStore::Start(uint64_t log_length, bool read_only, bool before_rows) {
  before_rows_ = before_rows;
  if (before_rows_) {
    Status moved =
        store_->Get(Family::kMeta, kMetaDocsMovedThrough, &moved_through_);
    if (!moved.ok() && !moved.IsNotFound()) return moved;
  }
  std::string value;
  Status status = store_->Get(Family::kMeta, kMetaTouchesAt, &value);
  if (status.IsNotFound()) {  // every history entry is written
    touches_at_ = log_length;
    if (read_only) return Status::OK();
    auto batch = store_->NewBatch();
    batch->Put(Family::kMeta, kMetaTouchesAt, EncodePosition(log_length));
    WEFT_RETURN_IF_ERROR(store_->Write(batch.get(), /*sync=*/true));
    return before_rows_ ? MoveToRows(log_length) : Status::OK();
  }
  WEFT_RETURN_IF_ERROR(status);
  if (!DecodePosition(value, &touches_at_) || touches_at_ > log_length) {
    return Status::Corruption("meta: touches_at is not a position in the log");
  }
  for (uint64_t position = touches_at_ + 1; position <= log_length;
       ++position) {
    WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const DecodedChange> decoded,
                          ReadChange(position));
    for (const DocRef& doc : decoded->change.docs) {
      TouchedDoc& touched = unwritten_touches_[DocKey(doc)];
      touched.doc = doc;
      touched.positions.push_back(position);
    }
  }
  return before_rows_ && !read_only ? MoveToRows(log_length) : Status::OK();
}

Status DocStore::MoveToRows(uint64_t log_length) {
  bool done = false;
  while (!done) {
    // Found in format 7's way: through the history.
    auto writes = store_->NewBatch();
    auto it = store_->NewIterator(Family::kDocs);
    std::string next =
        moved_through_.empty() ? std::string() : KeyAfter(moved_through_);
    std::string last;
    for (size_t moved = 0; moved < kMovedPerBatch; ++moved) {
      DocRef doc;
      bool found;
      WEFT_RETURN_IF_ERROR(SeekDocument(it.get(), next, &doc, &found));
      if (!found) {
        done = true;
        break;
      }
      last = DocKey(doc);
      WEFT_ASSIGN_OR_RETURN(Cached cached, ReadStored(doc, last));
      PutState(last, log_length, &cached, writes.get());
      next = KeyAfter(last);
    }
    if (done) {
      writes->Delete(Family::kMeta, kMetaDocsMovedThrough);
      writes->Put(Family::kMeta, kMetaFormatVersion, kFormatVersion);
    } else {
      writes->Put(Family::kMeta, kMetaDocsMovedThrough, last);
    }
    WEFT_RETURN_IF_ERROR(store_->Write(writes.get(), /*sync=*/true));
    if (!last.empty()) moved_through_ = last;
  }
  before_rows_ = false;
  moved_through_.clear();
  return Status::OK();
}

Status DocStore::OnStage(const Hash& /*hash*/, std::string_view bytes,
                         const Change& change, uint64_t position, bool local,
                         storage::WriteBatch* /*writes*/) {
  batch_last_position_ = std::max(batch_last_position_, position);
  for (size_t doc_idx = 0; doc_idx < change.docs.size(); ++doc_idx) {
    const DocRef& doc = change.docs[doc_idx];
    WEFT_ASSIGN_OR_RETURN(Cached * cached, LoadCached(doc));
    TouchedDoc& touched = touched_in_batch_[DocKey(doc)];
    touched.doc = doc;
    touched.positions.push_back(position);
    // A local transaction applied its ops as it went.
    if (!local) {
      WEFT_RETURN_IF_ERROR(
          cached->document.ApplyReceivedChange(change, doc_idx));
    }
    ++cached->tail_changes;
    cached->tail_bytes += bytes.size();
  }
  return Status::OK();
}

// The history not yet written, once it spans kTouchesPerWrite positions,
// and per document a snapshot once the tail since the last one has grown
// large enough.
Status DocStore::OnBatchStaged(storage::WriteBatch* writes) {
  batch_writes_touches_ =
      batch_last_position_ >= touches_at_ + kTouchesPerWrite;
  if (batch_writes_touches_) {
    std::map<std::string, TouchedDoc> touches = unwritten_touches_;
    AppendTouches(touched_in_batch_, &touches);
    PutTouches(touches, batch_last_position_, writes);
  }
  for (const auto& [doc_key, touched] : touched_in_batch_) {
    const std::vector<uint64_t>& positions = touched.positions;
    Cached& cached = cache_.at(doc_key);
    if (cached.stored && !cached.row && cached.tail_changes < kTailChangesMax &&
        cached.tail_bytes <
            kTailBytesPerSnapshotByte *
                std::max(cached.snapshot_bytes, kTailBytesMin)) {
      continue;
    }
    PutState(doc_key, positions.back(), &cached, writes);
  }
  return Status::OK();
}

void DocStore::PutState(const std::string& doc_key, uint64_t checkpoint,
                        Cached* cached, storage::WriteBatch* writes) {
  std::string state = cached->document.Serialize();
  cached->row = state.size() <= kRowBytesMax;
  std::string value;
  PutVarint(&value, checkpoint << 1 | (cached->row ? 1 : 0));
  value += state;
  writes->Put(Family::kDocs, SnapshotKey(doc_key), value);
  cached->stored = true;
  cached->snapshot_bytes = value.size();
  cached->tail_changes = 0;
  cached->tail_bytes = 0;
}

void DocStore::AppendTouches(const std::map<std::string, TouchedDoc>& later,
                             std::map<std::string, TouchedDoc>* touches) {
  for (const auto& [doc_key, touched] : later) {
    TouchedDoc& all = (*touches)[doc_key];
    all.doc = touched.doc;
    all.positions.insert(all.positions.end(), touched.positions.begin(),
                         touched.positions.end());
  }
}

void DocStore::PutTouches(const std::map<std::string, TouchedDoc>& touches,
                          uint64_t through, storage::WriteBatch* writes) {
  for (const auto& [doc_key, touched] : touches) {
    const std::vector<uint64_t>& positions = touched.positions;
    std::string run;
    PutVarint(&run, positions.size());
    for (size_t idx = 1; idx < positions.size(); ++idx) {
      PutVarint(&run, positions[idx] - positions[idx - 1]);
    }
    writes->Put(Family::kDocs, TouchKey(doc_key, positions.front()), run);
  }
  writes->Put(Family::kMeta, kMetaTouchesAt, EncodePosition(through));
}

void DocStore::WriteOnClose(uint64_t log_length, storage::WriteBatch* writes) {
  for (auto& [doc_key, cached] : cache_) {
    if (cached.tail_changes > 0) {
      PutState(doc_key, log_length, &cached, writes);
    }
  }
  if (touches_at_ < log_length) {
    PutTouches(unwritten_touches_, log_length, writes);
  }
}

void DocStore::OnWritten() {
  if (batch_writes_touches_) {
    unwritten_touches_.clear();
    touches_at_ = batch_last_position_;
  } else {
    AppendTouches(touched_in_batch_, &unwritten_touches_);
  }
  touched_in_batch_.clear();
  batch_writes_touches_ = false;
  batch_last_position_ = 0;
}

void DocStore::OnAbort() {
  for (const auto& [doc_key, touched] : touched_in_batch_) {
    cache_.erase(doc_key);
  }
  touched_in_batch_.clear();
  batch_writes_touches_ = false;
  batch_last_position_ = 0;  // a later batch takes the same positions
}

Result<std::shared_ptr<const DocStore::DecodedChange>> DocStore::ReadChange(
    uint64_t position) {
  if (auto it = decoded_.find(position); it != decoded_.end()) {
    return it->second;
  }
  auto decoded = std::make_shared<DecodedChange>();
  std::string bytes;
  WEFT_RETURN_IF_ERROR(ReadLoggedChange(store_, runs_, position, &decoded->hash,
                                        &bytes, &decoded->change));
  decoded->bytes = bytes.size();
  decoded_.emplace(position, decoded);
  decoded_order_.push_back(position);
  decoded_bytes_ += decoded->bytes;
  while (decoded_bytes_ > kDecodedBytesMax ||
         decoded_order_.size() > kDecodedChangesMax) {
    auto oldest = decoded_.find(decoded_order_.front());
    decoded_bytes_ -= oldest->second->bytes;
    decoded_.erase(oldest);
    decoded_order_.pop_front();
  }
  return std::shared_ptr<const DecodedChange>(std::move(decoded));
}

Status DocStore::Replay(const DocRef& doc, uint64_t first_position,
                        const dag::HashSet* keep, Document* document,
                        uint64_t* changes, uint64_t* bytes) {
  Status replay;
  WEFT_RETURN_IF_ERROR(
      ForEachTouch(doc, first_position, [&](uint64_t position) {
        Result<std::shared_ptr<const DecodedChange>> read =
            ReadChange(position);
        if (!read.ok()) {
          replay = read.status();
          return false;
        }
        const DecodedChange& decoded = **read;
        int doc_idx = DocIndex(decoded.change, doc);
        if (doc_idx < 0 || (keep != nullptr && !keep->count(decoded.hash))) {
          return true;
        }
        document->ApplyChange(decoded.change, doc_idx);
        if (changes != nullptr) ++*changes;
        if (bytes != nullptr) *bytes += decoded.bytes;
        return true;
      }));
  return replay;
}

Result<Document> DocStore::LoadAsOf(const DocRef& doc,
                                    const dag::HashSet& ancestors) {
  Document document;
  WEFT_RETURN_IF_ERROR(Replay(doc, 1, &ancestors, &document, nullptr, nullptr));
  return document;
}

}  // namespace weft::engine
