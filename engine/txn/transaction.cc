// weft::Transaction: turns path-based edits into ops, applying each to the
// live document at once (so later edits see earlier ones) and committing
// them as one change. If it does not commit, the documents it touched are
// dropped from the cache and reload from disk.
#include "weft/transaction.h"

#include <limits>
#include <map>

#include "dag/change_codec.h"
#include "engine/engine.h"
#include "engine/txn/begin.h"

namespace weft::engine {

struct TransactionState {
  Engine* engine = nullptr;
  bool open = true;
  uint64_t next_counter = 0;
  uint64_t start_op = 0;
  ChangeDraft draft;
  std::map<std::string, uint32_t> doc_indices;  // DocKey -> draft.docs index
  Status error;  // the first failed edit: Commit fails with it
  bool expect_heads = false;
  std::vector<Hash> expected_heads;
  std::string idempotency_key;

  // The document and its index in the change, made known to the change.
  struct Target {
    Document* document;
    uint32_t doc_index;
  };
  Result<Target> OpenDoc(std::string_view address);
  OpId Emit(const Target& target, Op op);
  // InvalidArgument if an object made in `container` would nest deeper
  // than limits::kDocumentDepthMax.
  static Status CheckMakeDepth(const Object& container);
  // A transaction on `engine`, holding its write lock (the one caller of
  // Transaction's private constructor).
  static std::unique_ptr<Transaction> Start(Engine* engine);
  Status Fail(Status status) {
    if (error.ok()) error = status;
    return status;
  }
  Status CheckScalar(const Scalar& value) const;
  // Like Locate, but makes the maps missing on the way.
  Result<Location> LocateForWrite(const Target& target, std::string_view path);
  // The object of `kind` at `path`, made (with `flavour`) if absent and
  // `make` is set.
  Result<const Object*> TargetObject(const Target& target,
                                     std::string_view path, ObjectKind kind,
                                     bool make);
  void Finish();
};

Result<TransactionState::Target> TransactionState::OpenDoc(
    std::string_view address) {
  if (!open) return Status::InvalidArgument("the transaction is finished");
  if (!error.ok()) return error;  // poisoned: every later edit fails too
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  WEFT_ASSIGN_OR_RETURN(Document * document, engine->docs().Load(doc));
  auto [it, inserted] = doc_indices.try_emplace(
      DocKey(doc), static_cast<uint32_t>(draft.docs.size()));
  if (inserted) draft.docs.push_back(doc);
  return Target{document, it->second};
}

OpId TransactionState::Emit(const Target& target, Op op) {
  OpId id{next_counter, engine->log().local_actor()};
  op.doc = target.doc_index;
  next_counter += OpWidth(op);
  target.document->Apply(op, id);
  draft.ops.push_back(std::move(op));
  return id;
}

Status TransactionState::CheckMakeDepth(const Object& container) {
  if (container.depth < limits::kDocumentDepthMax) return Status::OK();
  return Status::InvalidArgument("documents nest at most " +
                                 std::to_string(limits::kDocumentDepthMax) +
                                 " levels deep");
}

Status TransactionState::CheckScalar(const Scalar& value) const {
  const std::string* text = std::get_if<std::string>(&value);
  if (text != nullptr && !dag::IsValidUtf8(*text)) {
    return Status::InvalidArgument("string value is not valid UTF-8");
  }
  const Bytes* blob = std::get_if<Bytes>(&value);
  size_t size = text != nullptr ? text->size() : blob ? blob->data.size() : 0;
  if (size > engine->options().value_bytes_max) {
    return Status::InvalidArgument(
        "value of " + std::to_string(size) + " bytes is over the limit of " +
        std::to_string(engine->options().value_bytes_max));
  }
  return Status::OK();
}

Result<Location> TransactionState::LocateForWrite(const Target& target,
                                                  std::string_view path) {
  WEFT_ASSIGN_OR_RETURN(std::vector<std::string> segments, ParsePath(path));
  // Make each missing map on the way, then locate the whole path.
  std::string prefix;
  for (size_t segment_idx = 0; segment_idx + 1 < segments.size();
       ++segment_idx) {
    prefix += (segment_idx ? "." : "") + segments[segment_idx];
    Result<Location> location = Locate(*target.document, prefix);
    if (!location.ok()) return location.status();
    if (ValueAt(*target.document, *location) != nullptr) continue;
    if (location->parent->kind != ObjectKind::kMap) {
      return Status::NotFound("no list element at", prefix);
    }
    Op make;
    make.action = OpAction::kMakeMap;
    make.obj = location->parent->id;
    make.key = location->key;
    Emit(target, std::move(make));
  }
  return Locate(*target.document, path);
}

Result<const Object*> TransactionState::TargetObject(const Target& target,
                                                     std::string_view path,
                                                     ObjectKind kind,
                                                     bool make) {
  WEFT_ASSIGN_OR_RETURN(Location location, LocateForWrite(target, path));
  const Value* value = ValueAt(*target.document, location);
  if (value == nullptr) {
    if (!make || location.parent->kind != ObjectKind::kMap) {
      return Status::NotFound("no value at", path);
    }
    WEFT_RETURN_IF_ERROR(CheckMakeDepth(*location.parent));
    Op op;
    op.action = static_cast<OpAction>(static_cast<uint8_t>(OpAction::kMakeMap) +
                                      static_cast<uint8_t>(kind));
    op.obj = location.parent->id;
    op.key = location.key;
    return target.document->Find(Emit(target, std::move(op)));
  }
  const Object* object =
      value->is_object ? target.document->Find(value->object) : nullptr;
  if (object == nullptr || object->kind != kind) {
    std::string holds = object != nullptr
                            ? std::string("a ") + ObjectKindName(object->kind)
                            : "a scalar";
    return Status::InvalidArgument("'" + std::string(path) + "' holds " +
                                   holds + ", not a " + ObjectKindName(kind));
  }
  return object;
}

void TransactionState::Finish() {
  if (!open) return;
  open = false;
  engine->UnlockWriter();
}

}  // namespace weft::engine

namespace weft {

using engine::Location;
using engine::ObjectKind;
using engine::TransactionState;

namespace {

// The ids of the values this replica sees at a map key: what a set or
// delete there supersedes (observed-remove).
std::vector<OpId> SeenAt(const engine::Document& document,
                         const Location& location) {
  std::vector<OpId> seen;
  for (const engine::MapEntry* entry :
       document.Entries(*location.parent, location.key)) {
    seen.push_back(entry->id);
  }
  return seen;
}

}  // namespace

Transaction::Transaction(std::unique_ptr<TransactionState> state)
    : state_(std::move(state)) {}

Transaction::~Transaction() { Abort(); }

Status Transaction::Fail(Status status) { return state_->Fail(status); }

const Status& Transaction::status() const { return state_->error; }

void Transaction::Abort() {
  if (!state_->open) return;
  // Forget the uncommitted edits applied to cached documents.
  for (const DocRef& doc : state_->draft.docs) {
    state_->engine->docs().Invalidate(doc);
  }
  state_->Finish();
}

#define WEFT_TXN_TARGET(target, doc)               \
  auto target##_result = state_->OpenDoc(doc);     \
  if (!target##_result.ok()) {                     \
    return state_->Fail(target##_result.status()); \
  }                                                \
  TransactionState::Target target = *target##_result

#define WEFT_TXN_CHECK(expr)                  \
  do {                                        \
    ::weft::Status weft_txn_status_ = (expr); \
    if (!weft_txn_status_.ok()) {             \
      return state_->Fail(weft_txn_status_);  \
    }                                         \
  } while (0)

Transaction& Transaction::CreateDocument(std::string_view doc) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    Op op;
    op.action = OpAction::kDocCreate;
    state_->Emit(target, std::move(op));
    return Status::OK();
  });
  return *this;
}

Transaction& Transaction::DeleteDocument(std::string_view doc) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    if (!target.document->Exists()) {
      return state_->Fail(Status::NotFound("no document", doc));
    }
    Op op;
    op.action = OpAction::kDocDelete;
    op.pred = target.document->RootObservation();
    state_->Emit(target, std::move(op));
    return Status::OK();
  });
  return *this;
}

Transaction& Transaction::Set(std::string_view doc, std::string_view path,
                              const Scalar& value, Flavour flavour) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    WEFT_TXN_CHECK(state_->CheckScalar(value));
    if (flavour != Flavour::kDefault && flavour != Flavour::kMultiValue) {
      WEFT_TXN_CHECK(
          Status::InvalidArgument("a register is default or "
                                  "multi_value"));
    }
    auto location = state_->LocateForWrite(target, path);
    WEFT_TXN_CHECK(location.status());
    if (location->parent->kind != ObjectKind::kMap) {
      WEFT_TXN_CHECK(Status::InvalidArgument(
          "list elements are inserted and deleted, not set", path));
    }
    Op op;
    op.action = OpAction::kMapSet;
    op.obj = location->parent->id;
    op.key = location->key;
    op.value = value;
    op.flavour = flavour;
    op.pred = SeenAt(*target.document, *location);
    state_->Emit(target, std::move(op));
    return Status::OK();
  });
  return *this;
}

Transaction& Transaction::Make(std::string_view doc, std::string_view path,
                               ObjectType type, Flavour flavour) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    Op op;
    op.action = static_cast<OpAction>(static_cast<uint8_t>(OpAction::kMakeMap) +
                                      static_cast<uint8_t>(type));
    op.flavour = flavour;
    if (!dag::FlavourFits(op.action, flavour)) {
      WEFT_TXN_CHECK(Status::InvalidArgument(
          std::string("flavour ") + FlavourName(flavour) + " does not fit a " +
          ObjectKindName(static_cast<ObjectKind>(type))));
    }
    auto location = state_->LocateForWrite(target, path);
    WEFT_TXN_CHECK(location.status());
    if (location->parent->kind != ObjectKind::kMap) {
      WEFT_TXN_CHECK(Status::InvalidArgument("objects are made at map keys"));
    }
    WEFT_TXN_CHECK(TransactionState::CheckMakeDepth(*location->parent));
    op.obj = location->parent->id;
    op.key = location->key;
    op.pred = SeenAt(*target.document, *location);
    state_->Emit(target, std::move(op));
    return Status::OK();
  });
  return *this;
}

Transaction& Transaction::Delete(std::string_view doc, std::string_view path) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    auto location = engine::Locate(*target.document, path);
    WEFT_TXN_CHECK(location.status());
    if (engine::ValueAt(*target.document, *location) == nullptr) {
      WEFT_TXN_CHECK(Status::NotFound("no value at", path));
    }
    Op op;
    op.obj = location->parent->id;
    if (location->parent->kind == ObjectKind::kMap) {
      op.action = OpAction::kMapDelete;
      op.key = location->key;
      op.pred = SeenAt(*target.document, *location);
    } else {
      op.action = OpAction::kListDelete;
      op.elem = location->parent->list.elements.IdAt(location->index);
      op.count = 1;
    }
    state_->Emit(target, std::move(op));
    return Status::OK();
  });
  return *this;
}

Transaction& Transaction::Increment(std::string_view doc, std::string_view path,
                                    int64_t delta) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    auto counter =
        state_->TargetObject(target, path, ObjectKind::kCounter, true);
    WEFT_TXN_CHECK(counter.status());
    if ((*counter)->flavour == Flavour::kGrowOnly && delta < 0) {
      WEFT_TXN_CHECK(
          Status::InvalidArgument("a grow-only counter cannot decrease", path));
    }
    // Locally a counter stays within int64. Concurrent increments that
    // together pass it wrap around (two's complement) when they merge,
    // alike on every replica: addition modulo 2^64 is order-free.
    int64_t total;
    if (__builtin_add_overflow((*counter)->counter.total, delta, &total)) {
      WEFT_TXN_CHECK(Status::InvalidArgument(
          "the counter would pass int64's range (" +
              std::to_string((*counter)->counter.total) +
              (delta < 0 ? " + (" + std::to_string(delta) + ")"
                         : " + " + std::to_string(delta)) +
              ")",
          path));
    }
    Op op;
    op.action = OpAction::kCounterAdd;
    op.obj = (*counter)->id;
    op.delta = delta;
    state_->Emit(target, std::move(op));
    return Status::OK();
  });
  return *this;
}

Transaction& Transaction::SetAdd(std::string_view doc, std::string_view path,
                                 const Scalar& member) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    WEFT_TXN_CHECK(state_->CheckScalar(member));
    auto set = state_->TargetObject(target, path, ObjectKind::kSet, true);
    WEFT_TXN_CHECK(set.status());
    if ((*set)->flavour == Flavour::kTwoPhase &&
        (*set)->set.removed.count(engine::ScalarKey(member))) {
      WEFT_TXN_CHECK(Status::InvalidArgument(
          "a two-phase set never takes back a removed member", path));
    }
    Op op;
    op.action = OpAction::kSetAdd;
    op.obj = (*set)->id;
    op.value = member;
    state_->Emit(target, std::move(op));
    return Status::OK();
  });
  return *this;
}

Transaction& Transaction::SetRemove(std::string_view doc, std::string_view path,
                                    const Scalar& member) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    WEFT_TXN_CHECK(state_->CheckScalar(member));
    auto set = state_->TargetObject(target, path, ObjectKind::kSet, false);
    WEFT_TXN_CHECK(set.status());
    if ((*set)->flavour == Flavour::kGrowOnly) {
      WEFT_TXN_CHECK(Status::InvalidArgument(
          "a grow-only set cannot remove members", path));
    }
    auto member_tags = (*set)->set.members.find(engine::ScalarKey(member));
    if (member_tags == (*set)->set.members.end()) return Status::OK();
    Op op;
    op.action = OpAction::kSetRemove;
    op.obj = (*set)->id;
    op.value = member;
    op.pred = member_tags->second;  // the adds this replica saw
    state_->Emit(target, std::move(op));
    return Status::OK();
  });
  return *this;
}

Transaction& Transaction::ListInsert(std::string_view doc,
                                     std::string_view path, uint64_t index,
                                     const Scalar& value) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    WEFT_TXN_CHECK(state_->CheckScalar(value));
    auto list = state_->TargetObject(target, path, ObjectKind::kList, true);
    WEFT_TXN_CHECK(list.status());
    const engine::Sequence& elements = (*list)->list.elements;
    if (index > elements.size()) {
      WEFT_TXN_CHECK(Status::InvalidArgument(
          "index " + std::to_string(index) + " is out of range: '" +
          std::string(path) + "' has " + std::to_string(elements.size()) +
          " elements"));
    }
    Op op;
    op.action = OpAction::kListInsert;
    op.obj = (*list)->id;
    op.elem = index == 0 ? OpId() : elements.IdAt(index - 1);
    op.value = value;
    state_->Emit(target, std::move(op));
    return Status::OK();
  });
  return *this;
}

namespace {

// Sequence deletes as ops: one per id run, each within u32 counts.
void EmitDeletes(TransactionState* state, const TransactionState::Target& t,
                 const engine::Object& object, OpAction action,
                 const std::vector<engine::IdRun>& runs) {
  for (const engine::IdRun& run : runs) {
    for (uint64_t done = 0; done < run.length;) {
      uint64_t count = std::min<uint64_t>(run.length - done,
                                          std::numeric_limits<uint32_t>::max());
      Op op;
      op.action = action;
      op.obj = object.id;
      op.elem = OpId{run.first.counter + done, run.first.actor};
      op.count = static_cast<uint32_t>(count);
      state->Emit(t, std::move(op));
      done += count;
    }
  }
}

Status CheckRange(uint64_t position, uint64_t count, uint64_t size,
                  std::string_view path) {
  if (position > size || count > size - position) {
    return Status::InvalidArgument("range " + std::to_string(position) + "+" +
                                   std::to_string(count) +
                                   " is out of range: '" + std::string(path) +
                                   "' has " + std::to_string(size));
  }
  return Status::OK();
}

}  // namespace

Transaction& Transaction::ListDelete(std::string_view doc,
                                     std::string_view path, uint64_t index,
                                     uint64_t count) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    auto list = state_->TargetObject(target, path, ObjectKind::kList, false);
    WEFT_TXN_CHECK(list.status());
    const engine::Sequence& elements = (*list)->list.elements;
    WEFT_TXN_CHECK(CheckRange(index, count, elements.size(), path));
    EmitDeletes(state_.get(), target, **list, OpAction::kListDelete,
                elements.IdRunsAt(index, count));
    return Status::OK();
  });
  return *this;
}

// A string at a map key that is spliced becomes a text: a make-text op
// that supersedes what this replica sees there (as a set does), then one
// insert of the string's characters. Concurrently, it is a set of the key
// like any other: of two replicas' conversions (or a conversion and a new
// string) one value wins, the other stays among the key's conflicts.
namespace {

Status StringToText(TransactionState* state,
                    const TransactionState::Target& target,
                    std::string_view path) {
  auto location = state->LocateForWrite(target, path);
  if (!location.ok() || location->parent->kind != ObjectKind::kMap) {
    return Status::OK();  // TargetObject says what is wrong
  }
  const engine::Value* value = engine::ValueAt(*target.document, *location);
  if (value == nullptr || value->is_object ||
      !std::holds_alternative<std::string>(value->scalar)) {
    return Status::OK();
  }
  std::string characters = std::get<std::string>(value->scalar);
  WEFT_RETURN_IF_ERROR(TransactionState::CheckMakeDepth(*location->parent));
  Op make;
  make.action = OpAction::kMakeText;
  make.obj = location->parent->id;
  make.key = location->key;
  make.pred = SeenAt(*target.document, *location);
  OpId text = state->Emit(target, std::move(make));
  if (!characters.empty()) {
    Op insert;
    insert.action = OpAction::kTextInsert;
    insert.obj = text;
    insert.text = std::move(characters);
    state->Emit(target, std::move(insert));
  }
  return Status::OK();
}

}  // namespace

Transaction& Transaction::SpliceText(std::string_view doc,
                                     std::string_view path, uint64_t position,
                                     uint64_t delete_count,
                                     std::string_view text) {
  Record([&]() -> Status {
    WEFT_TXN_TARGET(target, doc);
    if (!dag::IsValidUtf8(text)) {
      WEFT_TXN_CHECK(Status::InvalidArgument("text is not valid UTF-8"));
    }
    if (text.size() > state_->engine->options().value_bytes_max) {
      WEFT_TXN_CHECK(Status::InvalidArgument("inserted text over the limit"));
    }
    WEFT_TXN_CHECK(StringToText(state_.get(), target, path));
    auto object = state_->TargetObject(target, path, ObjectKind::kText, true);
    WEFT_TXN_CHECK(object.status());
    const engine::Sequence& characters = (*object)->text.text;
    WEFT_TXN_CHECK(CheckRange(position, delete_count, characters.size(), path));
    EmitDeletes(state_.get(), target, **object, OpAction::kTextDelete,
                characters.IdRunsAt(position, delete_count));
    if (!text.empty()) {
      Op op;
      op.action = OpAction::kTextInsert;
      op.obj = (*object)->id;
      op.elem = position == 0 ? OpId() : characters.IdAt(position - 1);
      op.text.assign(text);
      state_->Emit(target, std::move(op));
    }
    return Status::OK();
  });
  return *this;
}

void Transaction::ExpectHeads(std::vector<Hash> heads) {
  state_->expect_heads = true;
  state_->expected_heads = std::move(heads);
}

void Transaction::SetIdempotencyKey(std::string key) {
  state_->idempotency_key = std::move(key);
}

void Transaction::SetMessage(std::string message) {
  state_->draft.message = std::move(message);
}

Result<std::string> Transaction::GetJson(std::string_view doc) {
  if (!state_->open) {
    return Status::InvalidArgument("the transaction is finished");
  }
  return state_->engine->GetJson(doc);
}

Result<Hash> Transaction::Commit() {
  if (!state_->open) {
    return Status::InvalidArgument("the transaction is finished");
  }
  Status failure = state_->error;
  if (failure.ok() && state_->draft.ops.empty()) {
    failure = Status::InvalidArgument("the transaction has no edits");
  }
  if (failure.ok() && state_->idempotency_key.size() > 4096) {
    failure = Status::InvalidArgument("idempotency key over 4096 bytes");
  }
  if (!failure.ok()) {
    Abort();
    return failure;
  }
  engine::ChangeLog& log = state_->engine->log();
  if (!state_->idempotency_key.empty()) {
    Result<Hash> earlier = log.LookupIdempotencyKey(state_->idempotency_key);
    if (earlier.ok() || !earlier.status().IsNotFound()) {
      Abort();  // committed before (or unreadable): write nothing
      return earlier;
    }
  }
  Result<Hash> hash = log.CommitPrepared(
      state_->draft, state_->start_op,
      state_->expect_heads ? &state_->expected_heads : nullptr,
      state_->idempotency_key.empty() ? nullptr : &state_->idempotency_key);
  if (!hash.ok()) {
    Abort();
    return hash;
  }
  state_->Finish();
  state_->engine->DeliverEvents();
  return hash;
}

}  // namespace weft

namespace weft::engine {

std::unique_ptr<Transaction> TransactionState::Start(Engine* engine) {
  auto state = std::make_unique<TransactionState>();
  state->engine = engine;
  engine->LockWriter();
  state->start_op = engine->log().NextOpCounter();
  state->next_counter = state->start_op;
  return std::unique_ptr<Transaction>(new Transaction(std::move(state)));
}

std::unique_ptr<Transaction> BeginTransaction(Engine* engine) {
  return TransactionState::Start(engine);
}

}  // namespace weft::engine
