// The packing side of ChangeLog (engine/FORMAT.md, "Packed log"): older
// changes packed into runs after commits and on close, received batches
// stored as runs in bulk, and the recent changes kept in memory for it.
#include <algorithm>

#include "dag/change_run.h"
#include "engine/log/change_log.h"

namespace weft::engine {

using storage::Family;

Status ChangeLog::PackLog(uint64_t keep_single) {
  while (log_length_ - packed_through_ >= kPackedRunChanges + keep_single) {
    WEFT_RETURN_IF_ERROR(PackRun());
  }
  return Status::OK();
}

Status ChangeLog::PackRun() {
  uint64_t first = packed_through_ + 1;
  std::vector<dag::RunChange> run;
  if (unpacked_from_ == first && unpacked_.size() >= kPackedRunChanges) {
    // Taken, not copied: if the write fails, the next packing reads them
    // back from the log.
    run.reserve(kPackedRunChanges);
    while (run.size() < kPackedRunChanges) {
      run.push_back(TakeOldestUnpacked());
    }
  } else {
    WEFT_RETURN_IF_ERROR(WalkLog(
        first, [&](uint64_t position, const Hash&, std::string_view bytes) {
          if (position != first + run.size()) return false;
          // A change stored before changes had to be canonical cannot be
          // rebuilt from a run: it stays a single entry, and the run ends.
          Result<dag::RunChange> change = dag::RunChangeOf(std::string(bytes));
          if (!change.ok()) return false;
          run.push_back(std::move(*change));
          return run.size() < kPackedRunChanges;
        }));
  }
  uint64_t last = run.empty() ? first : first + run.size() - 1;
  auto writes = store_->NewBatch();
  if (!run.empty()) {
    writes->DeleteRange(Family::kLog, EncodePosition(first),
                        EncodePosition(last));
    writes->Put(Family::kLog, EncodePosition(last), dag::EncodeRunOf(run));
  }
  writes->Put(Family::kMeta, kMetaPackedThrough, EncodePosition(last));
  std::map<ActorId, SeqRange> ranges;
  bool index = last >= indexed_through_ + kIndexedAtOnce;
  if (index) {
    WEFT_RETURN_IF_ERROR(StageIndexThrough(writes.get(), last, &ranges));
  }
  WEFT_RETURN_IF_ERROR(store_->Write(writes.get(), /*sync=*/false));
  packed_through_ = last;
  if (index) NoteIndexed(last, ranges);
  while (!unpacked_.empty() && unpacked_from_ <= last) TakeOldestUnpacked();
  return Status::OK();
}

void ChangeLog::StageBulkRuns(Batch* batch) {
  const std::vector<const dag::RunChange*>& received = batch->received;
  if (received.empty()) return;
  storage::WriteBatch* writes = batch->writes.get();
  uint64_t first = log_length_ - received.size() + 1;
  // The changes from packed_through_ + 1 on, if all are at hand.
  std::vector<const dag::RunChange*> order;
  uint64_t next = packed_through_ + 1;
  bool at_hand = next == first || (unpacked_from_ == next &&
                                   unpacked_from_ + unpacked_.size() == first);
  if (at_hand) {
    for (uint64_t position = next; position < first; ++position) {
      order.push_back(&unpacked_[position - unpacked_from_]);
    }
    order.insert(order.end(), received.begin(), received.end());
    size_t at = 0;
    while (log_length_ + 1 - next >= 2 * kPackedRunChanges) {
      uint64_t last = next + kPackedRunChanges - 1;
      if (next < first) {  // singles written before
        writes->DeleteRange(Family::kLog, EncodePosition(next),
                            EncodePosition(last));
      }
      std::vector<const dag::RunChange*> run(
          order.begin() + at, order.begin() + at + kPackedRunChanges);
      writes->Put(Family::kLog, EncodePosition(last), dag::EncodeRunOf(run));
      at += kPackedRunChanges;
      next = last + 1;
    }
    if (next > packed_through_ + 1) {
      batch->packed_through = next - 1;
      writes->Put(Family::kMeta, kMetaPackedThrough,
                  EncodePosition(batch->packed_through));
    }
  }
  for (uint64_t position = std::max(next, first); position <= log_length_;
       ++position) {
    writes->Put(Family::kLog, EncodePosition(position),
                received[position - first]->bytes);
  }
}

void ChangeLog::NoteBulkWritten(const Batch& batch) {
  if (batch.packed_through > packed_through_) {
    packed_through_ = batch.packed_through;
    while (!unpacked_.empty() && unpacked_from_ <= packed_through_) {
      TakeOldestUnpacked();
    }
  }
  uint64_t first = log_length_ - batch.received.size() + 1;
  for (uint64_t position = std::max(packed_through_ + 1, first);
       position <= log_length_; ++position) {
    KeepUnpacked(position, *batch.received[position - first]);
  }
}

void ChangeLog::KeepUnpacked(uint64_t position, dag::RunChange change) {
  if (unpacked_.empty() || position != unpacked_from_ + unpacked_.size()) {
    unpacked_.clear();  // reading the others back from the log will do
    unpacked_bytes_ = 0;
    unpacked_from_ = position;
  }
  unpacked_bytes_ += change.bytes.size();
  unpacked_.push_back(std::move(change));
  while (unpacked_.size() > 4 * kPackedRunChanges ||
         unpacked_bytes_ > unpacked_bytes_kept_) {
    TakeOldestUnpacked();
  }
}

dag::RunChange ChangeLog::TakeOldestUnpacked() {
  unpacked_bytes_ -= unpacked_.front().bytes.size();
  dag::RunChange oldest = std::move(unpacked_.front());
  unpacked_.pop_front();
  ++unpacked_from_;
  return oldest;
}

}  // namespace weft::engine
