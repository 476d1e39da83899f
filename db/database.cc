// weft::Database: the one composition point that wires the RocksDB adapter
// of the storage port into the engine.
#include "weft/database.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "dag/authorship.h"
#include "engine/engine.h"
#include "engine/log/keys.h"
#include "engine/sync/peer_records.h"
#include "storage/rocksdb_kv_store.h"
#include "tls/identity.h"

namespace weft {
namespace {

constexpr char kIdentityFile[] = "identity.key";

// From the kernel's generator, as OpenSSL's RAND_bytes is seeded: its first
// call in a process sets up its own generator, about 3 ms on the 2-core
// build machine, which every open paid (the id is used if the database is
// new).
// The engine's randomness port (actor ids, sync nonces).
Status RandomBytes(uint8_t* out, size_t size) {
  size_t filled = 0;
  while (filled < size) {
    ssize_t got = getrandom(out + filled, size - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      return Status::IOError("no randomness", std::strerror(errno));
    }
    filled += static_cast<size_t>(got);
  }
  return Status::OK();
}

// The key that signs the database's changes: `identity.key` in its folder,
// made with the database. A read-only open goes without one if it is
// missing (it commits nothing); a writable one does not.
Result<std::unique_ptr<dag::AuthorKey>> OpenAuthorKey(const std::string& path,
                                                      storage::KvStore* store,
                                                      bool read_only) {
  std::string key_path = path + "/" + kIdentityFile;
  std::string version;
  bool fresh =
      store->Get(storage::Family::kMeta, engine::kMetaFormatVersion, &version)
          .IsNotFound();
  // A format this build does not read: the log says so, better than a
  // missing key would.
  if (!fresh && version != engine::kFormatVersion &&
      version != engine::kFormatVersionBeforeRows &&
      version != engine::kFormatVersionBeforeCompactIndex &&
      version != engine::kFormatVersionBeforeRuns) {
    return std::unique_ptr<dag::AuthorKey>();
  }
  Result<tls::Identity> identity = fresh && !read_only
                                       ? tls::LoadOrCreateIdentity(key_path)
                                       : tls::LoadIdentity(key_path);
  if (identity.status().IsNotFound() && read_only) {
    return std::unique_ptr<dag::AuthorKey>();
  }
  if (identity.status().IsNotFound()) {
    return Status::NotFound(
        "the identity key " + key_path +
        " is missing: this database's changes are signed with it, so it "
        "cannot commit or send its own changes without it (restore it from "
        "a backup)");
  }
  WEFT_RETURN_IF_ERROR(identity.status());
  WEFT_ASSIGN_OR_RETURN(std::string seed, tls::PrivateSeed(*identity));
  return dag::AuthorKey::FromSeed(seed);
}

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const Options& options) {
  return OpenWithFaults(path, options, nullptr);
}

Result<std::unique_ptr<Database>> Database::OpenWithFaults(
    const std::string& path, const Options& options,
    std::shared_ptr<storage::FaultPlan> faults) {
  std::unique_ptr<Database> db(new Database(path, options, std::move(faults)));
  WEFT_RETURN_IF_ERROR(db->OpenParts(db->options_));
  return db;
}

Database::Database(std::string path, const Options& options,
                   std::shared_ptr<storage::FaultPlan> faults)
    : path_(std::move(path)), options_(options), faults_(std::move(faults)) {}

Status Database::OpenParts(const Options& options) {
  const std::string& path = path_;
  if (options.memory_budget_bytes < engine::ChangeLog::kMemoryBudgetMin) {
    // Refused before the folder is made.
    return Status::InvalidArgument(
        "memory_budget_bytes must be at least 4 MiB");
  }
  storage::RocksDbStoreOptions store_options;
  store_options.faults = faults_;
  store_options.create_if_missing = options.create_if_missing;
  store_options.error_if_exists = options.error_if_exists;
  store_options.read_only = options.read_only;
  store_options.memory_budget_bytes = options.memory_budget_bytes;
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<storage::KvStore> store,
                        storage::OpenRocksDbKvStore(path, store_options));
  // The world the engine sees: one clock for the log and the engine.
  engine::World world{WallClockMs, RandomBytes};
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<dag::AuthorKey> author,
                        OpenAuthorKey(path, store.get(), options.read_only));
  WEFT_ASSIGN_OR_RETURN(
      std::unique_ptr<engine::ChangeLog> log,
      engine::ChangeLog::Open(store.get(), options, author.get(),
                              world.wall_clock_ms));
  auto engine = std::make_unique<engine::Engine>(store.get(), std::move(log),
                                                 options, std::move(world));
  WEFT_RETURN_IF_ERROR(engine->Start());
  author_ = std::move(author);
  store_ = std::move(store);
  engine_ = std::move(engine);
  return Status::OK();
}

Status Database::WriteFailure() const { return store_->WriteFailure(); }

Status Database::Reopen() {
  engine_.reset();
  store_.reset();
  Options again = options_;  // it exists now
  again.create_if_missing = false;
  again.error_if_exists = false;
  Status writable = OpenParts(again);
  if (writable.ok() || again.read_only) return writable;
  Options read_only = again;
  read_only.read_only = true;
  Status readable = OpenParts(read_only);
  if (!readable.ok()) {
    return Status::IOError(writable.ToString(),
                           "and read-only: " + readable.ToString());
  }
  return writable;
}

bool Database::is_open() const { return engine_ != nullptr; }

// The engine goes first: it refers to the store.
Database::~Database() { engine_.reset(); }

ActorId Database::local_actor() const { return engine_->log().local_actor(); }

std::unique_ptr<Transaction> Database::Begin() { return engine_->Begin(); }

Result<std::string> Database::GetJson(std::string_view doc) const {
  return engine_->GetJson(doc);
}

Result<Scalar> Database::Get(std::string_view doc,
                             std::string_view path) const {
  return engine_->GetScalar(doc, path);
}

Result<std::string> Database::GetPathJson(std::string_view doc,
                                          std::string_view path) const {
  return engine_->GetPathJson(doc, path);
}

Result<std::string> Database::GetConflictsJson(std::string_view doc,
                                               std::string_view path) const {
  return engine_->GetConflictsJson(doc, path);
}

Result<std::string> Database::ReadText(std::string_view doc,
                                       std::string_view path, uint64_t position,
                                       uint64_t count) const {
  return engine_->ReadText(doc, path, position, count);
}

Result<std::string> Database::GetListRangeJson(std::string_view doc,
                                               std::string_view path,
                                               uint64_t position,
                                               uint64_t count) const {
  return engine_->GetListRangeJson(doc, path, position, count);
}

Result<std::vector<std::string>> Database::ListCollections() const {
  return engine_->ListDocuments(std::nullopt);
}

Result<std::vector<std::string>> Database::ListKeys(
    std::string_view collection) const {
  return engine_->ListDocuments(std::string(collection));
}

Result<std::vector<uint64_t>> Database::DocumentHistory(
    std::string_view doc) const {
  return engine_->DocumentHistory(doc);
}

Result<std::string> Database::EncodedState(std::string_view doc) const {
  return engine_->EncodedState(doc);
}

Result<std::string> Database::GetJsonAsOf(std::string_view doc,
                                          const Hash& as_of) const {
  return engine_->GetJsonAsOf(doc, as_of);
}

Result<std::string> Database::GetPathJsonAsOf(std::string_view doc,
                                              std::string_view path,
                                              const Hash& as_of) const {
  return engine_->GetPathJsonAsOf(doc, path, as_of);
}

Result<Hash> Database::Commit(const ChangeDraft& draft) {
  WEFT_ASSIGN_OR_RETURN(std::vector<Hash> hashes, CommitBatch({draft}));
  return hashes[0];
}

Result<std::vector<Hash>> Database::CommitBatch(
    const std::vector<ChangeDraft>& drafts) {
  return engine_->Writing([&] { return engine_->log().Commit(drafts); });
}

uint64_t Database::NextOpCounter() const {
  return engine_->log().NextOpCounter();
}

Result<ReceiveOutcome> Database::Receive(std::string_view bytes,
                                         std::string_view proofs) {
  WEFT_ASSIGN_OR_RETURN(auto decoded, engine::DecodeOfferedProofs(proofs, 1));
  return engine_->Writing(
      [&] { return engine_->log().Receive(nullptr, bytes, decoded); });
}

Result<ReceiveOutcome> Database::Receive(const Hash& claimed_hash,
                                         std::string_view bytes,
                                         std::string_view proofs) {
  WEFT_ASSIGN_OR_RETURN(auto decoded, engine::DecodeOfferedProofs(proofs, 1));
  return engine_->Writing(
      [&] { return engine_->log().Receive(&claimed_hash, bytes, decoded); });
}

Result<std::string> Database::ProveChange(const Hash& hash) const {
  WEFT_ASSIGN_OR_RETURN(StoredChange stored, engine_->log().GetChange(hash));
  WEFT_ASSIGN_OR_RETURN(auto proofs, engine_->log().ProofsFor({stored.bytes}));
  return dag::EncodeProofs(proofs);
}

Result<StoredChange> Database::GetChange(const Hash& hash) const {
  return engine_->log().GetChange(hash);
}

Result<StoredChange> Database::GetChangeAt(uint64_t position) const {
  return engine_->log().GetChangeAt(position);
}

Result<Hash> Database::ResolveHashPrefix(std::string_view hex_prefix) const {
  return engine_->log().ResolveHashPrefix(hex_prefix);
}

Status Database::ScanLog(
    uint64_t first_position,
    const std::function<bool(uint64_t, const Hash&)>& visit) const {
  return engine_->log().ScanLog(first_position, visit);
}

uint64_t Database::LogLength() const { return engine_->log().LogLength(); }
std::vector<Hash> Database::Heads() const { return engine_->log().Heads(); }
std::vector<ActorState> Database::Actors() const {
  return engine_->log().Actors();
}
size_t Database::PendingCount() const { return engine_->log().PendingCount(); }
Result<VerifyReport> Database::Verify(const VerifyOptions& options) const {
  // Every block of every family first: damage in a table that the log's
  // walk never reads (documents, views, history) shows only here.
  Status checksums = store_->VerifyChecksums();
  Result<VerifyReport> walked = engine_->log().Verify();
  if (!walked.ok() && checksums.ok()) return walked.status();
  VerifyReport report;
  if (walked.ok()) {
    report = std::move(walked).value();
  } else {
    report.problems.push_back("log: " + walked.status().ToString());
  }
  if (!checksums.ok()) {
    report.problems.insert(report.problems.begin(),
                           "storage: " + checksums.ToString());
  }
  // A log that does not read whole cannot be replayed.
  if (options.quick || !walked.ok()) return report;
  WEFT_RETURN_IF_ERROR(engine_->VerifyDerived(&report));
  return report;
}

Status Database::CreateView(const ViewDefinition& definition,
                            const ViewProgressCallback& progress) {
  return engine_->CreateView(definition, progress);
}

Status Database::DropView(std::string_view name) {
  return engine_->DropView(std::string(name));
}

Status Database::RebuildView(std::string_view name,
                             const ViewProgressCallback& progress) {
  return engine_->RebuildView(std::string(name), progress);
}

std::vector<ViewDefinition> Database::ListViews() const {
  return engine_->ListViews();
}

Status Database::ScanView(
    std::string_view name,
    const std::function<bool(const ViewRow&)>& visit) const {
  return engine_->ScanView(std::string(name), visit);
}

Result<Hash> Database::ViewDigest(std::string_view name) const {
  return engine_->ViewDigest(std::string(name));
}

Result<std::unique_ptr<FindCursor>> Database::Find(
    std::string_view collection, const Predicate& predicate,
    const FindOptions& options) const {
  return engine_->Find(collection, predicate, options);
}

Result<QueryPlan> Database::Explain(std::string_view collection,
                                    const Predicate& predicate,
                                    const FindOptions& options) const {
  return engine_->Explain(collection, predicate, options);
}

Result<uint64_t> Database::Subscribe(const SubscriptionTarget& target,
                                     ChangeCallback callback) {
  return engine_->Subscribe(target, std::move(callback));
}

Status Database::Unsubscribe(uint64_t id) { return engine_->Unsubscribe(id); }

Result<DatabaseStatus> Database::GetStatus() const {
  WEFT_ASSIGN_OR_RETURN(DatabaseStatus status, engine_->GetStatus());
  WEFT_ASSIGN_OR_RETURN(status.peers, ListPeers());
  return status;
}

Result<std::vector<PeerInfo>> Database::ListPeers() const {
  return engine::sync::ListPeers(store_.get(), Actors());
}

Status Database::ForgetPeer(const ActorId& replica) {
  return engine::sync::ForgetPeers(store_.get(), &replica);
}

Status Database::ForgetAllPeers() {
  return engine::sync::ForgetPeers(store_.get(), nullptr);
}

Result<std::unique_ptr<SyncEndpoint>> Database::NewSyncEndpoint(
    bool initiator, const SyncOptions& options,
    const std::string& peer_address) {
  return engine_->NewSyncEndpoint(initiator, options.key, "", options.live,
                                  peer_address, options.accept_changes);
}

// The copy gets the identity key too: restored, it is this replica again
// (and must not run beside it: both would write the same actor's seqs).
Status Database::Checkpoint(const std::string& dir) {
  WEFT_RETURN_IF_ERROR(store_->Checkpoint(dir));
  if (author_ == nullptr) return Status::OK();
  WEFT_ASSIGN_OR_RETURN(tls::Identity identity,
                        tls::LoadIdentity(path_ + "/" + kIdentityFile));
  return tls::CopyIdentity(identity, dir + "/" + kIdentityFile);
}

uint64_t Database::ApproximateSizeBytes() const {
  return store_->ApproximateSizeBytes();
}

}  // namespace weft
