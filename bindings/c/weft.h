/* weft.h: the stable C API of weft, the embedded local-first database.
 *
 * Conventions, for every function:
 * - It returns WEFT_OK (0) or an error code (weft_code). On an error, when
 *   `error` is not NULL, *error receives a message the caller frees with
 *   weft_free(); on success *error is left NULL.
 * - Handles are opaque. NULL handles, closed databases and finished
 *   transactions are reported as WEFT_INVALID_ARGUMENT, never a crash.
 * - Every char* the library returns (in an out-parameter) is a
 *   NUL-terminated UTF-8 string owned by the caller: free it with
 *   weft_free(). Strings passed in are borrowed for the call only.
 * - No C++ exception ever crosses this boundary.
 *
 * Thread safety: a weft_db may be used from several threads; a weft_txn,
 * weft_iter or weft_server from one at a time.
 *
 * ABI rule: within a major version, functions are only added, and no
 * struct a caller allocates ever grows. Options are therefore opaque
 * (weft_opts, set one by one); the weft_options struct and weft_open are
 * kept, frozen as they are, for programs built against 0.1.
 */
#ifndef WEFT_H_
#define WEFT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0
#define WEFT_VERSION_STRING "0.1.0"

/* The library's version, as "MAJOR.MINOR.PATCH" (static, do not free). */
const char* weft_version(void);

/* What a function returns: OK, or the kind of failure (the numbers of
 * weft::Status::Code, plus WEFT_INTERNAL for a bug). */
typedef enum weft_code {
  WEFT_OK = 0,
  WEFT_NOT_FOUND = 1,
  WEFT_CORRUPTION = 2,
  WEFT_NOT_SUPPORTED = 3,
  WEFT_INVALID_ARGUMENT = 4,
  WEFT_IO_ERROR = 5,
  WEFT_ALREADY_EXISTS = 6,
  WEFT_CONFLICT = 7,
  WEFT_BUSY = 8,
  WEFT_INTERNAL = 9
} weft_code;

typedef struct weft_db weft_db;
typedef struct weft_txn weft_txn;
typedef struct weft_iter weft_iter;
typedef struct weft_server weft_server;

/* Frees a string (or any buffer) the library returned. NULL is fine. */
void weft_free(void* pointer);

/* ---- Databases ---- */

/* Options of weft_open (frozen since 0.1: see weft_opts). */
typedef struct weft_options {
  int create_if_missing; /* default 1 */
  int error_if_exists;   /* default 0 */
  int sync;              /* fsync every commit; default 0 */
} weft_options;

/* The defaults, to change before weft_open. Frozen: new options are set
 * through weft_opts. */
weft_options weft_options_default(void);

/* Opaque options, which may grow without breaking the ABI. weft_opts_new
 * returns the defaults (NULL only when out of memory); free with
 * weft_opts_free (NULL is fine). Each setter returns WEFT_OK, or
 * WEFT_INVALID_ARGUMENT for a NULL handle. */
typedef struct weft_opts weft_opts;
weft_opts* weft_opts_new(void);
void weft_opts_free(weft_opts* opts);
int weft_opts_set_create_if_missing(weft_opts* opts, int create_if_missing);
int weft_opts_set_error_if_exists(weft_opts* opts, int error_if_exists);
int weft_opts_set_sync(weft_opts* opts, int sync);
/* Opens for reading only: every write fails with WEFT_NOT_SUPPORTED. */
int weft_opts_set_read_only(weft_opts* opts, int read_only);
/* weft_open with opaque options (`opts` may be NULL: the defaults). */
int weft_open_with(const char* path, const weft_opts* opts, weft_db** db,
                   char** error);

/* Opens (or creates) the database in folder `path`; *db receives the
 * handle, closed with weft_close. `options` may be NULL (defaults). */
int weft_open(const char* path, const weft_options* options, weft_db** db,
              char** error);
/* Closes and frees the handle. NULL is fine. Transactions, iterators and
 * servers made from it that are still open are ended first (a transaction
 * aborts, a server stops): their handles stay valid, every call on them
 * fails with WEFT_INVALID_ARGUMENT, and weft_txn_commit, weft_txn_abort,
 * weft_iter_free and weft_server_stop still free them. A handle is used by
 * one thread at a time. */
void weft_close(weft_db* db);

/* ---- Transactions: edits commit together or not at all ---- */

int weft_begin(weft_db* db, weft_txn** txn, char** error);
/* Replaces document "collection/key" with a JSON object. */
int weft_txn_put_json(weft_txn* txn, const char* doc, const char* json,
                      char** error);
/* Sets the value at a dotted path (maps on the way are made) to JSON. */
int weft_txn_set_json(weft_txn* txn, const char* doc, const char* path,
                      const char* json, char** error);
/* Deletes the value at `path`, or the whole document when path is NULL. */
int weft_txn_delete(weft_txn* txn, const char* doc, const char* path,
                    char** error);
/* Adds `delta` to the counter at `path` (made if missing). */
int weft_txn_increment(weft_txn* txn, const char* doc, const char* path,
                       int64_t delta, char** error);
/* Adds to / removes from the set at `path` a JSON scalar. */
int weft_txn_set_add(weft_txn* txn, const char* doc, const char* path,
                     const char* json_scalar, char** error);
int weft_txn_set_remove(weft_txn* txn, const char* doc, const char* path,
                        const char* json_scalar, char** error);
/* Inserts a JSON scalar at `index` of the list at `path` (made if
 * missing); deletes `count` elements from `index`. */
int weft_txn_list_insert(weft_txn* txn, const char* doc, const char* path,
                         uint64_t index, const char* json_scalar, char** error);
int weft_txn_list_delete(weft_txn* txn, const char* doc, const char* path,
                         uint64_t index, uint64_t count, char** error);
/* Edits the text at `path` (made if missing): deletes `delete_count` code
 * points at `position`, inserts `insert` (UTF-8). */
int weft_txn_splice_text(weft_txn* txn, const char* doc, const char* path,
                         uint64_t position, uint64_t delete_count,
                         const char* insert, char** error);
/* Commits; *hash_hex (may be NULL) receives the change's hash. The handle
 * is freed whether or not the commit succeeded. */
int weft_txn_commit(weft_txn* txn, char** hash_hex, char** error);
/* Abandons every edit and frees the handle. NULL is fine. */
void weft_txn_abort(weft_txn* txn);

/* ---- Reads ---- */

/* The document (or, with a non-NULL path, one value) as JSON. */
int weft_get_json(weft_db* db, const char* doc, const char* path, char** json,
                  char** error);

/* ---- Queries and views ---- */

/* The documents of `collection` matching `predicate_json` (NULL: all),
 * streamed: see weft_iter_*. `order_by` may be NULL; `limit` 0 = none. */
/* Every concurrent value at the map key `path`, winner last, as a JSON
 * array of {"id": "counter@actor", "value": ...}. */
int weft_conflicts_json(weft_db* db, const char* doc, const char* path,
                        char** json, char** error);
/* The document as it was once change `hash_hex` (a full hash) and its
 * ancestors were applied. */
int weft_get_json_as_of(weft_db* db, const char* doc, const char* hash_hex,
                        char** json, char** error);
/* The collections (collection NULL) or the keys of one collection, sorted,
 * as a JSON array of strings. */
int weft_list(weft_db* db, const char* collection, char** json, char** error);

int weft_find(weft_db* db, const char* collection, const char* predicate_json,
              const char* order_by, int descending, uint64_t limit,
              weft_iter** iter, char** error);
/* How weft_find would run the query, as JSON. */
int weft_explain(weft_db* db, const char* collection,
                 const char* predicate_json, char** plan_json, char** error);
/* Moves to the next result: 1 if there is one, 0 at the end, or a
 * negative weft_code on an error (then *error is set). */
int weft_iter_next(weft_iter* iter, char** error);
/* The current result's document address and JSON; valid until the next
 * weft_iter_next (borrowed: do not free). */
const char* weft_iter_doc(const weft_iter* iter);
const char* weft_iter_json(const weft_iter* iter);
void weft_iter_free(weft_iter* iter);

/* A view definition as JSON (see the README), e.g.
 * {"name": "by_city", "kind": "index", "collection": "people",
 *  "fields": ["city"]}. */
int weft_view_create(weft_db* db, const char* definition_json, char** error);
int weft_view_drop(weft_db* db, const char* name, char** error);
int weft_view_rebuild(weft_db* db, const char* name, char** error);
/* The definitions, as a JSON array. */
int weft_view_list(weft_db* db, char** json, char** error);
/* The rows, as a JSON array of {"doc", "key", "value"} objects. */
int weft_view_rows(weft_db* db, const char* name, char** json, char** error);

/* ---- Subscriptions ---- */

/* Called for each committed change touching the target, after it is
 * durable, in log order, on a committing thread. `event_json`:
 * {"hash", "position", "remote", "documents": [{"doc", "json"}]}
 * (borrowed for the call). The callback may call back into weft. */
typedef void (*weft_change_callback)(void* user_data, const char* event_json);
/* kind: "document", "collection" or "view" (name: "coll/key", a
 * collection, a view), or "all": every change stored, local or remote,
 * with an empty "documents" (name ignored, may be ""). *id receives the
 * subscription's id for weft_unsubscribe. */
int weft_subscribe(weft_db* db, const char* kind, const char* name,
                   weft_change_callback callback, void* user_data, uint64_t* id,
                   char** error);
int weft_unsubscribe(weft_db* db, uint64_t id, char** error);

/* ---- Status, log, export/import ---- */

/* {"log_length", "heads", "actors", "pending", "views", "size_bytes",
   "peers": [{"replica", "addresses", "last_sync_ms", "last_session_ms",
   "last_session_ok", "last_session_reason", "changes_sent",
   "changes_received", "bytes_sent", "bytes_received", "lacks"}]}. */
int weft_status(weft_db* db, char** json, char** error);
/* The heads, as a JSON array of hex hashes. */
int weft_heads(weft_db* db, char** json, char** error);
/* The change at log position `position` (1-based), as JSON. */
int weft_change_at(weft_db* db, uint64_t position, char** json, char** error);
int weft_export(weft_db* db, const char* path, char** error);
int weft_import(weft_db* db, const char* path, char** error);

/* ---- Sync ---- */

/* Syncs once with the server at host:port; *stats_json (may be NULL):
 * {"round_trips", "bytes_sent", "bytes_received", "changes_sent",
 *  "changes_received", "pings_sent", "pings_received", "seconds",
 *  "equivocations"}. `key` may be NULL (no key). */
int weft_sync(weft_db* db, const char* host, uint16_t port, const char* key,
              char** stats_json, char** error);
/* Serves sync on address:port (port 0: any free one) on a thread of its
 * own until weft_server_stop; `key` may be NULL (loopback only). */
int weft_serve(weft_db* db, const char* address, uint16_t port, const char* key,
               weft_server** server, char** error);
/* Opaque sync options (they may grow without breaking the ABI), for the
 * secure channel (README "Securing sync"). weft_sync_opts_new returns the
 * defaults (NULL only when out of memory); free with weft_sync_opts_free
 * (NULL is fine). Setters return WEFT_OK or an error code (and *error,
 * which may be NULL). */
typedef struct weft_sync_opts weft_sync_opts;
weft_sync_opts* weft_sync_opts_new(void);
void weft_sync_opts_free(weft_sync_opts* opts);
/* The pre-shared key; NULL: none. */
int weft_sync_opts_set_key(weft_sync_opts* opts, const char* key);
/* This replica's identity key file; NULL: identity.key in its folder. */
int weft_sync_opts_set_identity_file(weft_sync_opts* opts, const char* path);
/* Adds a peer accepted over TLS: for weft_sync_with, the server expected;
 * for weft_serve_with, a peer let in (may_write 0: it may only read).
 * `name` may be NULL. WEFT_INVALID_ARGUMENT for a malformed identity. */
int weft_sync_opts_add_peer(weft_sync_opts* opts, const char* identity,
                            int may_write, const char* name, char** error);
/* Adds every peer of a peers file (README "Securing sync"). */
int weft_sync_opts_add_peers_file(weft_sync_opts* opts, const char* path,
                                  char** error);
/* weft_sync and weft_serve with these options (`opts` may be NULL). */
int weft_sync_with(weft_db* db, const char* host, uint16_t port,
                   const weft_sync_opts* opts, char** stats_json, char** error);
int weft_serve_with(weft_db* db, const char* address, uint16_t port,
                    const weft_sync_opts* opts, weft_server** server,
                    char** error);
/* Replaces the peers a server lets in by those of `opts` (sessions of
 * peers no longer let write end). */
int weft_server_set_peers(weft_server* server, const weft_sync_opts* opts,
                          char** error);
/* This replica's identity (its key made if missing), in *identity (free
 * with weft_free). `identity_file` may be NULL: identity.key in its
 * folder. */
int weft_identity(weft_db* db, const char* identity_file, char** identity,
                  char** error);

uint16_t weft_server_port(const weft_server* server);
/* Stops and frees the server. NULL is fine. */
void weft_server_stop(weft_server* server);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_H_ */
