#include "engine/engine.h"

#include <nlohmann/json.hpp>

#include "dag/dag.h"
#include "engine/json/json_value.h"
#include "engine/txn/begin.h"

namespace weft::engine {
namespace {

// Reads the DAG's parent links from the log, for time travel.
class LogNodeSource : public dag::NodeSource {
 public:
  explicit LogNodeSource(const ChangeLog& log) : log_(log) {}
  Status GetParents(const Hash& node, std::vector<Hash>* parents) override {
    WEFT_ASSIGN_OR_RETURN(StoredChange stored, log_.GetChange(node));
    *parents = stored.change.parents;
    return Status::OK();
  }

 private:
  const ChangeLog& log_;
};

std::string IdText(const OpId& id) {
  return std::to_string(id.counter) + "@" + id.actor.ToHex().substr(0, 8);
}

}  // namespace

Engine::Engine(storage::KvStore* store, std::unique_ptr<ChangeLog> log,
               const Options& options, World world)
    : store_(store),
      log_(std::move(log)),
      docs_(store, log_->run_cache()),
      views_(store, &docs_, options.sync),
      subscriptions_(&docs_, &views_, log_->local_actor()),
      observers_({&docs_, &views_, &subscriptions_}),
      options_(options),
      world_(std::move(world)) {
  log_->set_observer(&observers_);
}

std::unique_ptr<Transaction> Engine::Begin() { return BeginTransaction(this); }

Status Engine::Start() {
  WEFT_RETURN_IF_ERROR(Locked([&] {
    return docs_.Start(log_->LogLength(), options_.read_only,
                       log_->docs_before_rows());
  }));
  WEFT_RETURN_IF_ERROR(Locked([&] { return views_.Load(); }));
  if (options_.read_only) return Status::OK();  // builds resume on a writer
  for (const std::string& name :
       Locked([&] { return views_.BuildingViews(); })) {
    WEFT_RETURN_IF_ERROR(BuildView(name, nullptr));
  }
  return Status::OK();
}

Status Engine::VerifyDerived(VerifyReport* report) {
  if (writer_owner_.load() == std::this_thread::get_id()) {
    return Status::Busy("verify: a transaction is open on this thread");
  }
  std::lock_guard<std::mutex> lock(writer_);
  uint64_t touches = 0;
  Status step;
  // Documents are replayed in groups, each by one walk of the log: the
  // group's states are held at once.
  constexpr size_t kDocumentsPerWalk = 16384;
  std::vector<DocRef> group;
  WEFT_RETURN_IF_ERROR(docs_.ForEachDocument([&](const DocRef& doc) {
    group.push_back(doc);
    ++report->documents_checked;
    if (group.size() < kDocumentsPerWalk) return true;
    step = docs_.VerifyDocuments(group, &touches, &report->problems);
    group.clear();
    return step.ok();
  }));
  WEFT_RETURN_IF_ERROR(step);
  if (!group.empty()) {
    WEFT_RETURN_IF_ERROR(
        docs_.VerifyDocuments(group, &touches, &report->problems));
  }
  // Each history entry named a change touching its document; as many as
  // the log's changes name, none is missing either.
  if (touches != report->document_touches) {
    report->problems.push_back(
        "history: " + std::to_string(touches) + " entries where the log's " +
        "changes touch documents " + std::to_string(report->document_touches) +
        " times");
  }
  for (const ViewDefinition& view : views_.Definitions()) {
    WEFT_RETURN_IF_ERROR(views_.VerifyRows(
        view.name, &report->view_rows_checked, &report->problems));
  }
  return Status::OK();
}

void Engine::DeliverEvents() {
  if (writer_owner_.load() == std::this_thread::get_id()) return;
  subscriptions_.Deliver();
}

Engine::~Engine() {
  log_->set_observer(nullptr);
  // Best effort: what is not snapshotted now is replayed by the next load.
  // A transaction still open holds the writer lock, and its documents hold
  // its uncommitted edits: then nothing is written. (try_lock on a mutex
  // this thread holds would be undefined.)
  if (!options_.read_only &&
      writer_owner_.load() != std::this_thread::get_id() &&
      writer_.try_lock()) {
    auto batch = store_->NewBatch();
    docs_.WriteOnClose(log_->LogLength(), batch.get());
    if (batch->Count() > 0) {
      store_->Write(batch.get(), options_.sync).PermitUncheckedError();
    }
    writer_.unlock();
  }
}

void Engine::LockWriter() {
  writer_.lock();
  writer_owner_.store(std::this_thread::get_id());
}

void Engine::UnlockWriter() {
  writer_owner_.store(std::thread::id());
  writer_.unlock();
}

Result<Document*> Engine::LoadExisting(const DocRef& doc,
                                       std::string_view address) {
  WEFT_ASSIGN_OR_RETURN(Document * document, docs_.Load(doc));
  if (!document->Exists()) return Status::NotFound("no document", address);
  return document;
}

Result<std::string> Engine::GetJson(std::string_view address) {
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  return Locked([&]() -> Result<std::string> {
    WEFT_ASSIGN_OR_RETURN(Document * document, LoadExisting(doc, address));
    return document->ToJson();
  });
}

Result<Scalar> Engine::GetScalar(std::string_view address,
                                 std::string_view path) {
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  return Locked([&]() -> Result<Scalar> {
    WEFT_ASSIGN_OR_RETURN(Document * document, LoadExisting(doc, address));
    WEFT_ASSIGN_OR_RETURN(Location location, Locate(*document, path));
    const Value* value = ValueAt(*document, location);
    if (value == nullptr) return Status::NotFound("no value at", path);
    if (value->is_object) {
      return Status::InvalidArgument(
          "not a scalar (a map, list, text, counter or set; read it as JSON)",
          path);
    }
    return value->scalar;
  });
}

Result<std::string> Engine::GetPathJson(std::string_view address,
                                        std::string_view path) {
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  return Locked([&]() -> Result<std::string> {
    WEFT_ASSIGN_OR_RETURN(Document * document, LoadExisting(doc, address));
    // Locate first: its errors say why there is no value.
    WEFT_RETURN_IF_ERROR(Locate(*document, path).status());
    std::optional<std::string> json = RenderAt(*document, path);
    if (!json) return Status::NotFound("no value at", path);
    return std::move(*json);
  });
}

Result<std::string> Engine::GetConflictsJson(std::string_view address,
                                             std::string_view path) {
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  return Locked([&]() -> Result<std::string> {
    WEFT_ASSIGN_OR_RETURN(Document * document, LoadExisting(doc, address));
    WEFT_ASSIGN_OR_RETURN(Location location, Locate(*document, path));
    if (location.parent->kind != ObjectKind::kMap) {
      return Status::InvalidArgument("conflicts exist at map keys only");
    }
    auto entries = document->Entries(*location.parent, location.key);
    if (entries.empty()) return Status::NotFound("no value at", path);
    nlohmann::json all = nlohmann::json::array();
    for (const MapEntry* entry : entries) {
      all.push_back({{"id", IdText(entry->id)},
                     {"value", document->ValueJson(entry->value)}});
    }
    return DumpJson(all);
  });
}

namespace {

// The object of `kind` at `path`, or InvalidArgument naming what is there.
Result<const Object*> ObjectAt(const Document& document, std::string_view path,
                               ObjectKind kind) {
  WEFT_ASSIGN_OR_RETURN(Location location, Locate(document, path));
  const Value* value = ValueAt(document, location);
  const Object* object = value != nullptr && value->is_object
                             ? document.Find(value->object)
                             : nullptr;
  if (object == nullptr || object->kind != kind) {
    return Status::InvalidArgument(
        std::string("no ") + ObjectKindName(kind) + " at", path);
  }
  return object;
}

}  // namespace

Result<std::string> Engine::ReadText(std::string_view address,
                                     std::string_view path, uint64_t position,
                                     uint64_t count) {
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  return Locked([&]() -> Result<std::string> {
    WEFT_ASSIGN_OR_RETURN(Document * document, LoadExisting(doc, address));
    WEFT_ASSIGN_OR_RETURN(const Object* text,
                          ObjectAt(*document, path, ObjectKind::kText));
    // Converted piece by piece: the whole text is never held as UTF-32.
    std::string out;
    text->text.text.ForEachVisible(
        position, count,
        [&](std::u32string_view piece) { AppendUtf8(piece, &out); });
    return out;
  });
}

Result<std::string> Engine::GetListRangeJson(std::string_view address,
                                             std::string_view path,
                                             uint64_t position,
                                             uint64_t count) {
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  return Locked([&]() -> Result<std::string> {
    WEFT_ASSIGN_OR_RETURN(Document * document, LoadExisting(doc, address));
    WEFT_ASSIGN_OR_RETURN(const Object* list,
                          ObjectAt(*document, path, ObjectKind::kList));
    std::string out = "[";
    for (char32_t handle : list->list.elements.Read(position, count)) {
      if (out.size() > 1) out += ",";
      out += document->ValueToJson(list->list.values[handle]);
    }
    return out + "]";
  });
}

Result<std::vector<std::string>> Engine::ListDocuments(
    const std::optional<std::string>& collection) {
  return Locked([&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> names;
    WEFT_RETURN_IF_ERROR(docs_.ForEachDocument([&](const DocRef& doc) {
      if (!collection) {
        if (names.empty() || names.back() != doc.collection) {
          names.push_back(doc.collection);
        }
        return true;
      }
      if (doc.collection < *collection) return true;
      if (doc.collection > *collection) return false;
      Result<Document*> document = docs_.Load(doc);
      if (document.ok() && (*document)->Exists()) names.push_back(doc.key);
      return true;
    }));
    return names;
  });
}

Result<std::vector<uint64_t>> Engine::DocumentHistory(
    std::string_view address) {
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  return Locked([&]() -> Result<std::vector<uint64_t>> {
    std::vector<uint64_t> positions;
    WEFT_RETURN_IF_ERROR(docs_.ForEachTouch(doc, 1, [&](uint64_t position) {
      positions.push_back(position);
      return true;
    }));
    return positions;
  });
}

Result<std::string> Engine::EncodedState(std::string_view address) {
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  return Locked([&]() -> Result<std::string> {
    WEFT_ASSIGN_OR_RETURN(Document * document, docs_.Load(doc));
    return document->Serialize();
  });
}

Result<std::string> Engine::GetJsonAsOf(std::string_view address,
                                        const Hash& as_of) {
  return GetPathJsonAsOf(address, "", as_of);
}

Result<std::string> Engine::GetPathJsonAsOf(std::string_view address,
                                            std::string_view path,
                                            const Hash& as_of) {
  WEFT_ASSIGN_OR_RETURN(DocRef doc, ParseDocRef(address));
  LogNodeSource source(*log_);
  WEFT_ASSIGN_OR_RETURN(dag::HashSet ancestors,
                        dag::Ancestors(&source, {as_of}));
  return Locked([&]() -> Result<std::string> {
    WEFT_ASSIGN_OR_RETURN(Document document, docs_.LoadAsOf(doc, ancestors));
    if (!document.Exists()) {
      return Status::NotFound("no document as of that change", address);
    }
    if (path.empty()) return document.ToJson();
    WEFT_RETURN_IF_ERROR(Locate(document, path).status());
    std::optional<std::string> json = RenderAt(document, path);
    if (!json) return Status::NotFound("no value as of that change at", path);
    return std::move(*json);
  });
}

}  // namespace weft::engine
