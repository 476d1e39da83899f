// ChangeObserver: how derived state (documents, later views) joins the
// log's atomic batches without the log knowing what it derives.
#pragma once

#include <cstdint>

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

}  // namespace weft::engine
