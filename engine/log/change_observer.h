// ChangeObserver: how derived state (documents, later views) joins the
// log's atomic batches without the log knowing what it derives.
#pragma once

#include <cstdint>
#include <vector>

#include "storage/kv_store.h"
#include "weft/change.h"
#include "weft/hash.h"
#include "weft/status.h"

namespace weft::engine {

class ChangeObserver {
 public:
  virtual ~ChangeObserver() = default;
  // Called under the log's lock for each change staged into `writes`, in log
  // order. `local`: committed by this replica's transaction, whose ops the
  // observer has already seen. An error aborts the whole batch.
  virtual Status OnStage(const Hash& hash, std::string_view bytes,
                         const Change& change, uint64_t position, bool local,
                         storage::WriteBatch* writes) = 0;
  // Every change of the batch is staged; last writes before the batch is
  // written (derived state written once per batch). An error aborts it.
  virtual Status OnBatchStaged(storage::WriteBatch* writes) = 0;
  // The batch was not written: forget what OnStage did for it.
  virtual void OnAbort() = 0;
  // The batch is written.
  virtual void OnWritten() = 0;
};

// Several observers as one, called in order (later ones may rely on what
// earlier ones did: views read the documents the document store updated).
class ObserverChain : public ChangeObserver {
 public:
  explicit ObserverChain(std::vector<ChangeObserver*> observers)
      : observers_(std::move(observers)) {}
  Status OnStage(const Hash& hash, std::string_view bytes, const Change& change,
                 uint64_t position, bool local,
                 storage::WriteBatch* writes) override {
    for (ChangeObserver* observer : observers_) {
      WEFT_RETURN_IF_ERROR(
          observer->OnStage(hash, bytes, change, position, local, writes));
    }
    return Status::OK();
  }
  Status OnBatchStaged(storage::WriteBatch* writes) override {
    for (ChangeObserver* observer : observers_) {
      WEFT_RETURN_IF_ERROR(observer->OnBatchStaged(writes));
    }
    return Status::OK();
  }
  void OnAbort() override {
    for (ChangeObserver* observer : observers_) observer->OnAbort();
  }
  void OnWritten() override {
    for (ChangeObserver* observer : observers_) observer->OnWritten();
  }

 private:
  std::vector<ChangeObserver*> observers_;
};

}  // namespace weft::engine
