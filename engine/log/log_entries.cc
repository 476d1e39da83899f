#include "engine/log/log_entries.h"

#include "dag/change_codec.h"
#include "dag/sha256.h"
#include "engine/log/keys.h"

namespace weft::engine {

using storage::Family;

namespace {

constexpr std::string_view kRunMagic = "WFR1";

std::string At(uint64_t position) {
  return "log position " + std::to_string(position);
}

}  // namespace

// A change's bytes start with the FlatBuffers root offset, a little-endian
// u32 that would have to be ~827 MB to read "WFR1": over any change's size.
bool IsRunEntry(std::string_view value) {
  return value.substr(0, kRunMagic.size()) == kRunMagic;
}

Result<std::shared_ptr<const DecodedRun>> RunCache::Decode(
    uint64_t last, std::string_view value) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = by_last_.find(last);
    if (found != by_last_.end()) {
      runs_.splice(runs_.begin(), runs_, found->second);
      return runs_.front().run;
    }
  }
  Result<DecodedRun> decoded = dag::DecodeRun(value);
  if (!decoded.ok()) {
    return Status::Corruption(
        "the run of changes ending at " + At(last) + " does not decode",
        decoded.status().message());
  }
  // Rebuilding the bytes is the cost; the fields decode again from them in
  // a microsecond, and would take twice the memory.
  size_t bytes = 0;
  for (dag::RunChange& change : *decoded) {
    change.change = Change();
    bytes += change.bytes.size() + sizeof(change);
  }
  auto run = std::make_shared<const DecodedRun>(std::move(decoded).value());
  std::lock_guard<std::mutex> lock(mutex_);
  if (by_last_.count(last) != 0) return run;  // another reader was first
  runs_.push_front(Cached{last, run, bytes});
  by_last_[last] = runs_.begin();
  bytes_ += bytes;
  while (bytes_ > bytes_kept_ && runs_.size() > 1) {
    bytes_ -= runs_.back().bytes;
    by_last_.erase(runs_.back().last);
    runs_.pop_back();
  }
  return run;
}

// The run stored under `key_position`, decoded (through `cache` if not
// null), checked to end there.
Result<std::shared_ptr<const DecodedRun>> DecodeRunEntry(
    RunCache* cache, uint64_t key_position, std::string_view value) {
  std::shared_ptr<const DecodedRun> run;
  if (cache != nullptr) {
    WEFT_ASSIGN_OR_RETURN(run, cache->Decode(key_position, value));
  } else {
    RunCache once;
    WEFT_ASSIGN_OR_RETURN(run, once.Decode(key_position, value));
  }
  if (run->size() > key_position) {
    return Status::Corruption("the run ending at " + At(key_position) +
                              " holds more changes than positions before it");
  }
  return run;
}

Status ExpandLogEntry(uint64_t key_position, std::string_view value,
                      RunCache* cache, const LoggedVisitor& visit,
                      bool* stopped) {
  *stopped = false;
  if (!IsRunEntry(value)) {
    *stopped = !visit(key_position, dag::Sha256(value), value, nullptr);
    return Status::OK();
  }
  WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const DecodedRun> run,
                        DecodeRunEntry(cache, key_position, value));
  uint64_t position = key_position - run->size() + 1;
  for (const dag::RunChange& entry : *run) {
    if (!visit(position++, entry.hash, entry.bytes, nullptr)) {
      *stopped = true;
      break;
    }
  }
  return Status::OK();
}

Status ReadLogEntry(storage::KvStore* store, RunCache* cache, uint64_t position,
                    Hash* hash, std::string* bytes, Change* change) {
  std::string value;
  Status status = store->Get(Family::kLog, EncodePosition(position), &value);
  if (status.ok() && !IsRunEntry(value)) {
    *hash = dag::Sha256(value);
    *bytes = std::move(value);
  } else if (status.ok() || status.IsNotFound()) {
    // Inside a run: the first entry at or after it is the run's (keyed by
    // its last position).
    std::unique_ptr<storage::Iterator> it;
    uint64_t key_position = position;
    std::string_view run_value = value;
    if (status.IsNotFound()) {
      it = store->NewIterator(Family::kLog);
      it->Seek(EncodePosition(position));
      WEFT_RETURN_IF_ERROR(it->status());
      if (!it->Valid() || !IsRunEntry(it->value()) ||
          !DecodePosition(it->key(), &key_position)) {
        return Status::NotFound("no change at", At(position));
      }
      run_value = it->value();
    }
    WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const DecodedRun> run,
                          DecodeRunEntry(cache, key_position, run_value));
    uint64_t first = key_position - run->size() + 1;
    if (position < first) return Status::NotFound("no change at", At(position));
    const dag::RunChange& entry = (*run)[position - first];
    *hash = entry.hash;
    bytes->assign(entry.bytes);
  } else {
    return status;
  }
  if (change == nullptr) return Status::OK();
  Result<Change> decoded = dag::DecodeChange(*bytes);
  if (!decoded.ok()) {
    return Status::Corruption(At(position) + " does not decode",
                              decoded.status().message());
  }
  *change = std::move(decoded).value();
  return Status::OK();
}

Status WalkLogEntries(storage::KvStore* store, RunCache* cache, uint64_t first,
                      const LoggedVisitor& visit) {
  auto it = store->NewIterator(Family::kLog);
  for (it->Seek(EncodePosition(first)); it->Valid(); it->Next()) {
    uint64_t key_position;
    if (!DecodePosition(it->key(), &key_position)) {
      return Status::Corruption("log: malformed entry");
    }
    bool stopped;
    WEFT_RETURN_IF_ERROR(ExpandLogEntry(
        key_position, it->value(), cache,
        [&](uint64_t position, const Hash& hash, std::string_view bytes,
            const Change* change) {
          // A run may begin before `first`.
          return position < first || visit(position, hash, bytes, change);
        },
        &stopped));
    if (stopped) break;
  }
  return it->status();
}

}  // namespace weft::engine
