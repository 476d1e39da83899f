// weft::Database: the one composition point that wires the RocksDB adapter
// of the storage port into the engine.
#include "weft/database.h"

#include <openssl/rand.h>

#include <chrono>

#include "engine/log/change_log.h"
#include "storage/rocksdb_kv_store.h"

namespace weft {
namespace {

Result<ActorId> RandomActor() {
  ActorId actor;
  if (RAND_bytes(actor.bytes.data(), ActorId::kSize) != 1) {
    return Status::IOError("no randomness for a new actor id");
  }
  return actor;
}

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const Options& options) {
  storage::RocksDbStoreOptions store_options;
  store_options.create_if_missing = options.create_if_missing;
  store_options.error_if_exists = options.error_if_exists;
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<storage::KvStore> store,
                        storage::OpenRocksDbKvStore(path, store_options));
  WEFT_ASSIGN_OR_RETURN(ActorId new_actor, RandomActor());
  WEFT_ASSIGN_OR_RETURN(
      std::unique_ptr<engine::ChangeLog> log,
      engine::ChangeLog::Open(store.get(), options, new_actor, WallClockMs));
  return std::unique_ptr<Database>(
      new Database(std::move(store), std::move(log)));
}

Database::Database(std::unique_ptr<storage::KvStore> store,
                   std::unique_ptr<engine::ChangeLog> log)
    : store_(std::move(store)), log_(std::move(log)) {}

// The log goes first: it refers to the store.
Database::~Database() { log_.reset(); }

ActorId Database::local_actor() const { return log_->local_actor(); }

Result<Hash> Database::Commit(const ChangeDraft& draft) {
  WEFT_ASSIGN_OR_RETURN(std::vector<Hash> hashes, log_->Commit({draft}));
  return hashes[0];
}

Result<std::vector<Hash>> Database::CommitBatch(
    const std::vector<ChangeDraft>& drafts) {
  return log_->Commit(drafts);
}

uint64_t Database::NextOpCounter() const { return log_->NextOpCounter(); }

Result<ReceiveOutcome> Database::Receive(std::string_view bytes) {
  return log_->Receive(nullptr, bytes);
}

Result<ReceiveOutcome> Database::Receive(const Hash& claimed_hash,
                                         std::string_view bytes) {
  return log_->Receive(&claimed_hash, bytes);
}

Result<StoredChange> Database::GetChange(const Hash& hash) const {
  return log_->GetChange(hash);
}

Result<StoredChange> Database::GetChangeAt(uint64_t position) const {
  return log_->GetChangeAt(position);
}

Result<Hash> Database::ResolveHashPrefix(std::string_view hex_prefix) const {
  return log_->ResolveHashPrefix(hex_prefix);
}

Status Database::ScanLog(
    uint64_t first_position,
    const std::function<bool(uint64_t, const Hash&)>& visit) const {
  return log_->ScanLog(first_position, visit);
}

uint64_t Database::LogLength() const { return log_->LogLength(); }
std::vector<Hash> Database::Heads() const { return log_->Heads(); }
std::vector<ActorState> Database::Actors() const { return log_->Actors(); }
size_t Database::PendingCount() const { return log_->PendingCount(); }
Result<VerifyReport> Database::Verify() const { return log_->Verify(); }

Status Database::Checkpoint(const std::string& dir) {
  return store_->Checkpoint(dir);
}

uint64_t Database::ApproximateSizeBytes() const {
  return store_->ApproximateSizeBytes();
}

}  // namespace weft
