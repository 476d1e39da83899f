// The C API (weft.h) over the C++ API: handles, error codes and messages,
// JSON in and out. Every entry point catches everything: no exception
// crosses into C.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "weft.h"
#include "weft/database.h"
#include "weft/json.h"

// A database knows the transactions, iterators and servers made from it:
// weft_close ends them first (their handles stay valid and report "the
// database is closed" until freed), so no order of close, commit, abort
// and free touches freed memory.
struct weft_child {
  virtual ~weft_child() = default;
  // Ends what the handle holds of its database, before the database goes.
  virtual void Orphan() = 0;
  weft_db* owner = nullptr;  // null once the database is closed
};
// Opaque options: weft::Options itself, so new fields need no new ABI.
struct weft_opts {
  weft::Options options;
};

struct weft_sync_opts {
  weft::SyncOptions options;
};

struct weft_db {
  std::unique_ptr<weft::Database> db;
  std::mutex mutex;  // guards children
  std::set<weft_child*> children;
};
struct weft_txn : weft_child {
  void Orphan() override { txn.reset(); }  // aborts
  std::unique_ptr<weft::Transaction> txn;
};
struct weft_iter : weft_child {
  void Orphan() override { cursor.reset(); }
  std::unique_ptr<weft::FindCursor> cursor;
  bool started = false;
  std::string doc, json;
};
struct weft_server : weft_child {
  void Orphan() override { server.reset(); }  // stops
  std::unique_ptr<weft::SyncServer> server;
};

namespace {

using nlohmann::json;
using weft::Result;
using weft::Status;

char* Copy(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out != nullptr) std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

// Makes `child` (a new handle) one of `db`'s, and returns it.
template <typename Child>
Child* Adopt(weft_db* db, Child* child) {
  std::lock_guard<std::mutex> lock(db->mutex);
  child->owner = db;
  db->children.insert(child);
  return child;
}

// Frees a handle, first taking it off its database's list.
template <typename Child>
void Release(Child* child) {
  if (child == nullptr) return;
  if (child->owner != nullptr) {
    std::lock_guard<std::mutex> lock(child->owner->mutex);
    child->owner->children.erase(child);
  }
  delete child;
}

int Report(const Status& status, char** error) {
  if (status.ok()) return WEFT_OK;
  if (error != nullptr) *error = Copy(status.ToString());
  return static_cast<int>(status.code());
}

// Runs `body` (returning a Status), turning any exception into
// WEFT_INTERNAL with its message.
template <typename Body>
int Guard(char** error, Body&& body) {
  if (error != nullptr) *error = nullptr;
  try {
    return Report(body(), error);
  } catch (const std::exception& exception) {
    if (error != nullptr)
      *error = Copy(std::string("internal error: ") + exception.what());
  } catch (...) {
    if (error != nullptr) *error = Copy("internal error");
  }
  return WEFT_INTERNAL;
}

Result<weft::Scalar> ParseScalar(const char* text) {
  if (text == nullptr) return Status::InvalidArgument("no JSON value given");
  return weft::ScalarFromJsonText(text);
}

bool Open(const weft_db* db) { return db != nullptr && db->db != nullptr; }
bool Open(const weft_txn* txn) { return txn != nullptr && txn->txn != nullptr; }

std::string HashesJson(const std::vector<weft::Hash>& hashes) {
  json list = json::array();
  for (const weft::Hash& hash : hashes) list.push_back(hash.ToHex());
  return list.dump();
}

// Runs an edit on an open transaction, with the checks every edit needs.
template <typename Edit>
int TxnEdit(weft_txn* txn, const char* doc, char** error, Edit&& edit) {
  return Guard(error, [&]() -> Status {
    if (!Open(txn)) return Status::InvalidArgument("no open transaction");
    if (doc == nullptr) return Status::InvalidArgument("no document given");
    return edit(*txn->txn);
  });
}

// Reads text into *out with the checks every read needs (`doc` may be ""
// for reads of no document).
template <typename Read>
int ReadText(weft_db* db, const char* doc, char** out, char** error,
             Read&& read) {
  if (out != nullptr) *out = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || doc == nullptr || out == nullptr) {
      return Status::InvalidArgument(
          "a read needs a database, a document and an output");
    }
    WEFT_ASSIGN_OR_RETURN(std::string text, read());
    *out = Copy(text);
    return Status::OK();
  });
}

// Sets one boolean option of an opaque weft_opts.
int SetOption(weft_opts* opts, bool weft::Options::*field, int value) {
  if (opts == nullptr) return WEFT_INVALID_ARGUMENT;
  opts->options.*field = value != 0;
  return WEFT_OK;
}

}  // namespace

extern "C" {

const char* weft_version(void) { return WEFT_VERSION_STRING; }

void weft_free(void* pointer) { std::free(pointer); }

weft_options weft_options_default(void) {
  weft::Options defaults;
  return weft_options{defaults.create_if_missing, defaults.error_if_exists,
                      defaults.sync};
}

int weft_open(const char* path, const weft_options* options, weft_db** db,
              char** error) {
  weft_opts opts;
  if (options != nullptr) {
    opts.options.create_if_missing = options->create_if_missing != 0;
    opts.options.error_if_exists = options->error_if_exists != 0;
    opts.options.sync = options->sync != 0;
  }
  return weft_open_with(path, &opts, db, error);
}

weft_opts* weft_opts_new(void) { return new (std::nothrow) weft_opts; }
void weft_opts_free(weft_opts* opts) { delete opts; }

int weft_opts_set_create_if_missing(weft_opts* opts, int create_if_missing) {
  return SetOption(opts, &weft::Options::create_if_missing, create_if_missing);
}
int weft_opts_set_error_if_exists(weft_opts* opts, int error_if_exists) {
  return SetOption(opts, &weft::Options::error_if_exists, error_if_exists);
}
int weft_opts_set_sync(weft_opts* opts, int sync) {
  return SetOption(opts, &weft::Options::sync, sync);
}
int weft_opts_set_read_only(weft_opts* opts, int read_only) {
  return SetOption(opts, &weft::Options::read_only, read_only);
}

int weft_open_with(const char* path, const weft_opts* opts, weft_db** db,
                   char** error) {
  return Guard(error, [&]() -> Status {
    if (path == nullptr || db == nullptr) {
      return Status::InvalidArgument("weft_open needs a path and a handle");
    }
    *db = nullptr;
    auto opened = weft::Database::Open(
        path, opts == nullptr ? weft::Options() : opts->options);
    if (!opened.ok()) return opened.status();
    *db = new weft_db;
    (*db)->db = std::move(opened).value();
    return Status::OK();
  });
}

void weft_close(weft_db* db) {
  if (db == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(db->mutex);
    for (weft_child* child : db->children) {
      child->Orphan();
      child->owner = nullptr;
    }
    db->children.clear();
  }
  delete db;
}

int weft_begin(weft_db* db, weft_txn** txn, char** error) {
  return Guard(error, [&]() -> Status {
    if (!Open(db) || txn == nullptr) {
      return Status::InvalidArgument("weft_begin needs an open database");
    }
    auto* made = new weft_txn;
    made->txn = db->db->Begin();
    *txn = Adopt(db, made);
    return Status::OK();
  });
}

int weft_txn_put_json(weft_txn* txn, const char* doc, const char* text,
                      char** error) {
  return TxnEdit(txn, doc, error, [&](weft::Transaction& edit) {
    return text == nullptr ? Status::InvalidArgument("no JSON given")
                           : edit.PutJson(doc, text).status();
  });
}

int weft_txn_set_json(weft_txn* txn, const char* doc, const char* path,
                      const char* text, char** error) {
  return TxnEdit(txn, doc, error, [&](weft::Transaction& edit) {
    return path == nullptr || text == nullptr
               ? Status::InvalidArgument("no path or JSON given")
               : edit.SetJson(doc, path, text).status();
  });
}

int weft_txn_delete(weft_txn* txn, const char* doc, const char* path,
                    char** error) {
  return TxnEdit(txn, doc, error, [&](weft::Transaction& edit) {
    return path == nullptr ? edit.DeleteDocument(doc).status()
                           : edit.Delete(doc, path).status();
  });
}

int weft_txn_increment(weft_txn* txn, const char* doc, const char* path,
                       int64_t delta, char** error) {
  return TxnEdit(txn, doc, error, [&](weft::Transaction& edit) {
    return path == nullptr ? Status::InvalidArgument("no path given")
                           : edit.Increment(doc, path, delta).status();
  });
}

int weft_txn_set_add(weft_txn* txn, const char* doc, const char* path,
                     const char* json_scalar, char** error) {
  return TxnEdit(txn, doc, error, [&](weft::Transaction& edit) -> Status {
    if (path == nullptr) return Status::InvalidArgument("no path given");
    WEFT_ASSIGN_OR_RETURN(weft::Scalar value, ParseScalar(json_scalar));
    return edit.SetAdd(doc, path, value).status();
  });
}

int weft_txn_set_remove(weft_txn* txn, const char* doc, const char* path,
                        const char* json_scalar, char** error) {
  return TxnEdit(txn, doc, error, [&](weft::Transaction& edit) -> Status {
    if (path == nullptr) return Status::InvalidArgument("no path given");
    WEFT_ASSIGN_OR_RETURN(weft::Scalar value, ParseScalar(json_scalar));
    return edit.SetRemove(doc, path, value).status();
  });
}

int weft_txn_list_insert(weft_txn* txn, const char* doc, const char* path,
                         uint64_t index, const char* json_scalar,
                         char** error) {
  return TxnEdit(txn, doc, error, [&](weft::Transaction& edit) -> Status {
    if (path == nullptr) return Status::InvalidArgument("no path given");
    WEFT_ASSIGN_OR_RETURN(weft::Scalar value, ParseScalar(json_scalar));
    return edit.ListInsert(doc, path, index, value).status();
  });
}

int weft_txn_list_delete(weft_txn* txn, const char* doc, const char* path,
                         uint64_t index, uint64_t count, char** error) {
  return TxnEdit(txn, doc, error, [&](weft::Transaction& edit) {
    return path == nullptr ? Status::InvalidArgument("no path given")
                           : edit.ListDelete(doc, path, index, count).status();
  });
}

int weft_txn_splice_text(weft_txn* txn, const char* doc, const char* path,
                         uint64_t position, uint64_t delete_count,
                         const char* insert, char** error) {
  return TxnEdit(txn, doc, error, [&](weft::Transaction& edit) {
    return path == nullptr || insert == nullptr
               ? Status::InvalidArgument("no path or text given")
               : edit.SpliceText(doc, path, position, delete_count, insert)
                     .status();
  });
}

int weft_txn_commit(weft_txn* txn, char** hash_hex, char** error) {
  if (hash_hex != nullptr) *hash_hex = nullptr;
  int code = Guard(error, [&]() -> Status {
    if (!Open(txn)) {
      return Status::InvalidArgument(
          "no open transaction (finished, or its database was closed)");
    }
    auto hash = txn->txn->Commit();
    if (!hash.ok()) return hash.status();
    if (hash_hex != nullptr) *hash_hex = Copy(hash->ToHex());
    return Status::OK();
  });
  Release(txn);
  return code;
}

void weft_txn_abort(weft_txn* txn) {
  if (Open(txn)) txn->txn->Abort();
  Release(txn);
}

int weft_get_json(weft_db* db, const char* doc, const char* path, char** out,
                  char** error) {
  if (out != nullptr) *out = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || doc == nullptr || out == nullptr) {
      return Status::InvalidArgument(
          "weft_get_json needs a database, a "
          "document and an output");
    }
    auto text =
        path == nullptr ? db->db->GetJson(doc) : db->db->GetPathJson(doc, path);
    if (!text.ok()) return text.status();
    *out = Copy(*text);
    return Status::OK();
  });
}

int weft_conflicts_json(weft_db* db, const char* doc, const char* path,
                        char** out, char** error) {
  return ReadText(db, doc, out, error, [&]() -> Result<std::string> {
    if (path == nullptr) return Status::InvalidArgument("no path given");
    return db->db->GetConflictsJson(doc, path);
  });
}

int weft_get_json_as_of(weft_db* db, const char* doc, const char* hash_hex,
                        char** out, char** error) {
  return ReadText(db, doc, out, error, [&]() -> Result<std::string> {
    if (hash_hex == nullptr) return Status::InvalidArgument("no hash given");
    WEFT_ASSIGN_OR_RETURN(weft::Hash hash, weft::Hash::FromHex(hash_hex));
    return db->db->GetJsonAsOf(doc, hash);
  });
}

int weft_list(weft_db* db, const char* collection, char** out, char** error) {
  return ReadText(db, "", out, error, [&]() -> Result<std::string> {
    auto names = collection == nullptr ? db->db->ListCollections()
                                       : db->db->ListKeys(collection);
    if (!names.ok()) return names.status();
    return json(*names).dump();
  });
}

int weft_find(weft_db* db, const char* collection, const char* predicate_json,
              const char* order_by, int descending, uint64_t limit,
              weft_iter** iter, char** error) {
  if (iter != nullptr) *iter = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || collection == nullptr || iter == nullptr) {
      return Status::InvalidArgument(
          "weft_find needs a database, a "
          "collection and an output");
    }
    weft::Predicate predicate = weft::Predicate::All();
    if (predicate_json != nullptr) {
      WEFT_ASSIGN_OR_RETURN(predicate,
                            weft::Predicate::FromJson(predicate_json));
    }
    weft::FindOptions options;
    if (order_by != nullptr) options.order_by = order_by;
    options.descending = descending != 0;
    options.limit = limit;
    auto cursor = db->db->Find(collection, predicate, options);
    if (!cursor.ok()) return cursor.status();
    auto* made = new weft_iter;
    made->cursor = std::move(cursor).value();
    *iter = Adopt(db, made);
    return Status::OK();
  });
}

int weft_explain(weft_db* db, const char* collection,
                 const char* predicate_json, char** plan_json, char** error) {
  if (plan_json != nullptr) *plan_json = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || collection == nullptr || plan_json == nullptr) {
      return Status::InvalidArgument(
          "weft_explain needs a database, a "
          "collection and an output");
    }
    weft::Predicate predicate = weft::Predicate::All();
    if (predicate_json != nullptr) {
      WEFT_ASSIGN_OR_RETURN(predicate,
                            weft::Predicate::FromJson(predicate_json));
    }
    auto plan = db->db->Explain(collection, predicate);
    if (!plan.ok()) return plan.status();
    *plan_json = Copy(json{{"uses_index", plan->uses_index},
                           {"index", plan->index},
                           {"description", plan->description}}
                          .dump());
    return Status::OK();
  });
}

int weft_iter_next(weft_iter* iter, char** error) {
  bool has_row = false;
  int code = Guard(error, [&]() -> Status {
    if (iter == nullptr || iter->cursor == nullptr) {
      return Status::InvalidArgument(
          "no iterator (or its database was closed)");
    }
    if (iter->started && iter->cursor->Valid()) iter->cursor->Next();
    iter->started = true;
    WEFT_RETURN_IF_ERROR(iter->cursor->status());
    has_row = iter->cursor->Valid();
    if (has_row) {
      iter->doc = iter->cursor->doc();
      iter->json = iter->cursor->json();
    }
    return Status::OK();
  });
  return code != WEFT_OK ? -code : (has_row ? 1 : 0);
}

const char* weft_iter_doc(const weft_iter* iter) {
  return iter == nullptr ? "" : iter->doc.c_str();
}

const char* weft_iter_json(const weft_iter* iter) {
  return iter == nullptr ? "" : iter->json.c_str();
}

void weft_iter_free(weft_iter* iter) { Release(iter); }

int weft_view_create(weft_db* db, const char* definition_json, char** error) {
  return Guard(error, [&]() -> Status {
    if (!Open(db) || definition_json == nullptr) {
      return Status::InvalidArgument(
          "weft_view_create needs a database and "
          "a definition");
    }
    WEFT_ASSIGN_OR_RETURN(weft::ViewDefinition definition,
                          weft::ViewDefinition::FromJson(definition_json));
    return db->db->CreateView(definition);
  });
}

int weft_view_drop(weft_db* db, const char* name, char** error) {
  return Guard(error, [&]() -> Status {
    if (!Open(db) || name == nullptr) {
      return Status::InvalidArgument(
          "weft_view_drop needs a database and a "
          "name");
    }
    return db->db->DropView(name);
  });
}

int weft_view_rebuild(weft_db* db, const char* name, char** error) {
  return Guard(error, [&]() -> Status {
    if (!Open(db) || name == nullptr) {
      return Status::InvalidArgument(
          "weft_view_rebuild needs a database and "
          "a name");
    }
    return db->db->RebuildView(name);
  });
}

int weft_view_list(weft_db* db, char** out, char** error) {
  if (out != nullptr) *out = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || out == nullptr) {
      return Status::InvalidArgument("weft_view_list needs a database");
    }
    json list = json::array();
    for (const weft::ViewDefinition& view : db->db->ListViews()) {
      list.push_back(json::parse(view.ToJson()));
    }
    *out = Copy(list.dump());
    return Status::OK();
  });
}

int weft_view_rows(weft_db* db, const char* name, char** out, char** error) {
  if (out != nullptr) *out = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || name == nullptr || out == nullptr) {
      return Status::InvalidArgument(
          "weft_view_rows needs a database and a "
          "name");
    }
    json rows = json::array();
    WEFT_RETURN_IF_ERROR(db->db->ScanView(name, [&](const weft::ViewRow& row) {
      json entry = json::object();
      if (!row.doc.empty()) entry["doc"] = row.doc;
      if (!row.key.empty()) entry["key"] = json::parse(row.key);
      if (!row.value.empty()) entry["value"] = json::parse(row.value);
      rows.push_back(std::move(entry));
      return true;
    }));
    *out = Copy(rows.dump());
    return Status::OK();
  });
}

int weft_subscribe(weft_db* db, const char* kind, const char* name,
                   weft_change_callback callback, void* user_data, uint64_t* id,
                   char** error) {
  return Guard(error, [&]() -> Status {
    if (!Open(db) || kind == nullptr || name == nullptr ||
        callback == nullptr || id == nullptr) {
      return Status::InvalidArgument(
          "weft_subscribe needs a database, a "
          "kind, a name, a callback and an output");
    }
    weft::SubscriptionTarget target;
    std::string kind_text = kind;
    if (kind_text == "document") {
      target.kind = weft::SubscriptionTarget::Kind::kDocument;
    } else if (kind_text == "collection") {
      target.kind = weft::SubscriptionTarget::Kind::kCollection;
    } else if (kind_text == "view") {
      target.kind = weft::SubscriptionTarget::Kind::kView;
    } else if (kind_text == "all") {
      target.kind = weft::SubscriptionTarget::Kind::kAllChanges;
    } else {
      return Status::InvalidArgument(
          "subscription kind is document, collection, view or all, not",
          kind_text);
    }
    target.name = name;
    auto subscribed = db->db->Subscribe(
        target, [callback, user_data](const weft::ChangeEvent& event) {
          json documents = json::array();
          for (const auto& touched : event.documents) {
            documents.push_back(
                {{"doc", touched.doc}, {"json", json::parse(touched.json)}});
          }
          std::string text = json{
              {"hash", event.hash.ToHex()},
              {"position", event.position},
              {"remote", event.remote},
              {"documents",
               documents}}.dump();
          callback(user_data, text.c_str());
        });
    if (!subscribed.ok()) return subscribed.status();
    *id = *subscribed;
    return Status::OK();
  });
}

int weft_unsubscribe(weft_db* db, uint64_t id, char** error) {
  return Guard(error, [&]() -> Status {
    if (!Open(db)) return Status::InvalidArgument("no open database");
    return db->db->Unsubscribe(id);
  });
}

int weft_status(weft_db* db, char** out, char** error) {
  if (out != nullptr) *out = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || out == nullptr) {
      return Status::InvalidArgument("weft_status needs a database");
    }
    auto status = db->db->GetStatus();
    if (!status.ok()) return status.status();
    json actors = json::array(), views = json::array();
    for (const weft::ActorState& actor : status->actors) {
      actors.push_back({{"actor", actor.actor.ToHex()}, {"seq", actor.seq}});
    }
    json peers = json::array();
    for (const weft::PeerInfo& peer : status->peers) {
      peers.push_back({{"replica", peer.replica.ToHex()},
                       {"addresses", peer.addresses},
                       {"last_sync_ms", peer.last_sync_ms},
                       {"last_session_ms", peer.last_session_ms},
                       {"last_session_ok", peer.last_session_ok},
                       {"last_session_reason", peer.last_session_reason},
                       {"changes_sent", peer.changes_sent},
                       {"changes_received", peer.changes_received},
                       {"bytes_sent", peer.bytes_sent},
                       {"bytes_received", peer.bytes_received},
                       {"lacks", peer.lacks}});
    }
    for (const weft::ViewStatus& view : status->views) {
      views.push_back({{"name", view.definition.name},
                       {"building", view.building},
                       {"checkpoint", view.checkpoint},
                       {"lag", view.lag}});
    }
    *out = Copy(json{
        {"log_length", status->log_length},
        {"heads", json::parse(HashesJson(status->heads))},
        {"actors", actors},
        {"pending", status->pending},
        {"views", views},
        {"size_bytes", status->size_bytes},
        {"peers",
         peers}}.dump());
    return Status::OK();
  });
}

int weft_heads(weft_db* db, char** out, char** error) {
  if (out != nullptr) *out = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || out == nullptr) {
      return Status::InvalidArgument("weft_heads needs a database");
    }
    *out = Copy(HashesJson(db->db->Heads()));
    return Status::OK();
  });
}

int weft_change_at(weft_db* db, uint64_t position, char** out, char** error) {
  if (out != nullptr) *out = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || out == nullptr) {
      return Status::InvalidArgument("weft_change_at needs a database");
    }
    auto stored = db->db->GetChangeAt(position);
    if (!stored.ok()) return stored.status();
    json docs = json::array();
    for (const weft::DocRef& doc : stored->change.docs) {
      docs.push_back(doc.collection + "/" + doc.key);
    }
    *out =
        Copy(json{{"hash", stored->hash.ToHex()},
                  {"position", stored->position},
                  {"height", stored->height},
                  {"actor", stored->change.actor.ToHex()},
                  {"seq", stored->change.seq},
                  {"time_ms", stored->change.time_ms},
                  {"message", stored->change.message},
                  {"parents", json::parse(HashesJson(stored->change.parents))},
                  {"docs", docs},
                  {"ops", stored->change.ops.size()}}
                 .dump());
    return Status::OK();
  });
}

int weft_export(weft_db* db, const char* path, char** error) {
  return Guard(error, [&]() -> Status {
    if (!Open(db) || path == nullptr) {
      return Status::InvalidArgument("weft_export needs a database and a path");
    }
    return db->db->Export(path).status();
  });
}

int weft_import(weft_db* db, const char* path, char** error) {
  return Guard(error, [&]() -> Status {
    if (!Open(db) || path == nullptr) {
      return Status::InvalidArgument("weft_import needs a database and a path");
    }
    return db->db->Import(path).status();
  });
}

int weft_sync(weft_db* db, const char* host, uint16_t port, const char* key,
              char** stats_json, char** error) {
  weft_sync_opts opts;
  if (key != nullptr) opts.options.key = key;
  return weft_sync_with(db, host, port, &opts, stats_json, error);
}

int weft_serve(weft_db* db, const char* address, uint16_t port, const char* key,
               weft_server** server, char** error) {
  weft_sync_opts opts;
  if (key != nullptr) opts.options.key = key;
  return weft_serve_with(db, address, port, &opts, server, error);
}

weft_sync_opts* weft_sync_opts_new(void) {
  return new (std::nothrow) weft_sync_opts;
}
void weft_sync_opts_free(weft_sync_opts* opts) { delete opts; }

int weft_sync_opts_set_key(weft_sync_opts* opts, const char* key) {
  if (opts == nullptr) return WEFT_INVALID_ARGUMENT;
  opts->options.key = key == nullptr ? "" : key;
  return WEFT_OK;
}

int weft_sync_opts_set_identity_file(weft_sync_opts* opts, const char* path) {
  if (opts == nullptr) return WEFT_INVALID_ARGUMENT;
  opts->options.identity_file = path == nullptr ? "" : path;
  return WEFT_OK;
}

int weft_sync_opts_add_peer(weft_sync_opts* opts, const char* identity,
                            int may_write, const char* name, char** error) {
  return Guard(error, [&]() -> Status {
    if (opts == nullptr || identity == nullptr) {
      return Status::InvalidArgument("a peer needs options and an identity");
    }
    // Checked here, where the caller can tell which one is wrong.
    weft::PeerGrant grant{identity, may_write != 0, name ? name : ""};
    WEFT_RETURN_IF_ERROR(weft::CheckPeers({grant}));
    opts->options.peers.push_back(std::move(grant));
    return Status::OK();
  });
}

int weft_sync_opts_add_peers_file(weft_sync_opts* opts, const char* path,
                                  char** error) {
  return Guard(error, [&]() -> Status {
    if (opts == nullptr || path == nullptr) {
      return Status::InvalidArgument("a peers file needs options and a path");
    }
    auto peers = weft::ReadPeersFile(path);
    if (!peers.ok()) return peers.status();
    opts->options.peers.insert(opts->options.peers.end(), peers->begin(),
                               peers->end());
    return Status::OK();
  });
}

int weft_sync_with(weft_db* db, const char* host, uint16_t port,
                   const weft_sync_opts* opts, char** stats_json,
                   char** error) {
  if (stats_json != nullptr) *stats_json = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || host == nullptr) {
      return Status::InvalidArgument("weft_sync needs a database and a host");
    }
    auto stats = weft::SyncWith(*db->db, host, port,
                                opts ? opts->options : weft::SyncOptions());
    if (!stats.ok()) return stats.status();
    if (stats_json != nullptr)
      *stats_json = Copy(weft::SyncStatsToJson(*stats));
    return Status::OK();
  });
}

int weft_serve_with(weft_db* db, const char* address, uint16_t port,
                    const weft_sync_opts* opts, weft_server** server,
                    char** error) {
  if (server != nullptr) *server = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || address == nullptr || server == nullptr) {
      return Status::InvalidArgument(
          "weft_serve needs a database, an address and an output");
    }
    auto started =
        weft::SyncServer::Start(db->db.get(), address, port,
                                opts ? opts->options : weft::SyncOptions());
    if (!started.ok()) return started.status();
    auto* made = new weft_server;
    made->server = std::move(started).value();
    *server = Adopt(db, made);
    return Status::OK();
  });
}

int weft_server_set_peers(weft_server* server, const weft_sync_opts* opts,
                          char** error) {
  return Guard(error, [&]() -> Status {
    if (server == nullptr || server->server == nullptr || opts == nullptr) {
      return Status::InvalidArgument(
          "weft_server_set_peers needs a running server and options");
    }
    return server->server->SetPeers(opts->options.peers);
  });
}

int weft_identity(weft_db* db, const char* identity_file, char** identity,
                  char** error) {
  if (identity != nullptr) *identity = nullptr;
  return Guard(error, [&]() -> Status {
    if (!Open(db) || identity == nullptr) {
      return Status::InvalidArgument(
          "weft_identity needs a database and an output");
    }
    weft::SyncOptions options;
    if (identity_file != nullptr) options.identity_file = identity_file;
    auto id = weft::ReplicaIdentity(*db->db, options);
    if (!id.ok()) return id.status();
    *identity = Copy(*id);
    return Status::OK();
  });
}

uint16_t weft_server_port(const weft_server* server) {
  return server == nullptr || server->server == nullptr
             ? 0
             : server->server->port();
}

void weft_server_stop(weft_server* server) { Release(server); }

}  // extern "C"
