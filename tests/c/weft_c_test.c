/* The C API from C: every function, its error paths, and ownership (run
 * under ASan/LeakSanitizer by the asan suite). Exit status 0 = all passed.
 * Usage: weft_c_test TEMP_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static int failures = 0;

#define CHECK(condition)                                               \
  do {                                                                 \
    if (!(condition)) {                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
              #condition);                                             \
      ++failures;                                                      \
    }                                                                  \
  } while (0)

/* Expects `code` to be `want`, with a message exactly when it failed. */
static void expect(int code, int want, char* error, int line) {
  if (code != want) {
    fprintf(stderr, "line %d: code %d, wanted %d (%s)\n", line, code, want,
            error ? error : "no message");
    ++failures;
  }
  if ((code != WEFT_OK) != (error != NULL)) {
    fprintf(stderr, "line %d: message %s with code %d\n", line,
            error ? "set" : "missing", code);
    ++failures;
  }
  weft_free(error);
}
#define EXPECT(call, want)                 \
  do {                                     \
    char* error_ = NULL;                   \
    int code_ = (call);                    \
    expect(code_, want, error_, __LINE__); \
  } while (0)
/* `call` must use `error_` as its error argument. */

static int events = 0;
static char last_event[4096];

static void on_change(void* user_data, const char* event_json) {
  int* counter = (int*)user_data;
  ++*counter;
  snprintf(last_event, sizeof(last_event), "%s", event_json);
}

static weft_db* open_db(const char* dir, const char* name) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  weft_db* db = NULL;
  EXPECT(weft_open(path, NULL, &db, &error_), WEFT_OK);
  CHECK(db != NULL);
  return db;
}

static void put(weft_db* db, const char* doc, const char* json) {
  weft_txn* txn = NULL;
  EXPECT(weft_begin(db, &txn, &error_), WEFT_OK);
  EXPECT(weft_txn_put_json(txn, doc, json, &error_), WEFT_OK);
  EXPECT(weft_txn_commit(txn, NULL, &error_), WEFT_OK);
}

/* Opaque options (read-only among them) and the reads of conflicts, a
 * document as of a change, collections and keys. */
static void test_opts_and_reads(const char* dir) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/opts", dir);
  weft_opts* opts = weft_opts_new();
  CHECK(opts != NULL);
  CHECK(weft_opts_set_create_if_missing(opts, 0) == WEFT_OK);
  weft_db* db = NULL;
  EXPECT(weft_open_with(path, opts, &db, &error_), WEFT_NOT_FOUND);
  CHECK(weft_opts_set_create_if_missing(opts, 1) == WEFT_OK);
  CHECK(weft_opts_set_sync(NULL, 1) == WEFT_INVALID_ARGUMENT);
  EXPECT(weft_open_with(path, opts, &db, &error_), WEFT_OK);
  put(db, "todo/1", "{\"title\": \"milk\"}");
  char* heads = NULL;
  EXPECT(weft_heads(db, &heads, &error_), WEFT_OK);
  char first[65] = {0};
  CHECK(heads != NULL && strlen(heads) >= 67);
  if (heads != NULL && strlen(heads) >= 67) memcpy(first, heads + 2, 64);
  weft_free(heads);
  put(db, "todo/1", "{\"title\": \"bread\"}");
  put(db, "note/x", "{}");
  char* json = NULL;
  EXPECT(weft_get_json_as_of(db, "todo/1", first, &json, &error_), WEFT_OK);
  CHECK(json != NULL && strcmp(json, "{\"title\":\"milk\"}") == 0);
  weft_free(json);
  EXPECT(weft_get_json_as_of(db, "todo/1", "zz", &json, &error_),
         WEFT_INVALID_ARGUMENT);
  EXPECT(weft_conflicts_json(db, "todo/1", "title", &json, &error_), WEFT_OK);
  CHECK(json != NULL && strstr(json, "\"value\":\"bread\"") != NULL);
  weft_free(json);
  EXPECT(weft_conflicts_json(db, "todo/1", "none", &json, &error_),
         WEFT_NOT_FOUND);
  EXPECT(weft_list(db, NULL, &json, &error_), WEFT_OK);
  CHECK(json != NULL && strcmp(json, "[\"note\",\"todo\"]") == 0);
  weft_free(json);
  EXPECT(weft_list(db, "todo", &json, &error_), WEFT_OK);
  CHECK(json != NULL && strcmp(json, "[\"1\"]") == 0);
  weft_free(json);
  weft_close(db);

  CHECK(weft_opts_set_read_only(opts, 1) == WEFT_OK);
  EXPECT(weft_open_with(path, opts, &db, &error_), WEFT_OK);
  EXPECT(weft_get_json(db, "todo/1", "title", &json, &error_), WEFT_OK);
  weft_free(json);
  weft_txn* txn = NULL;
  EXPECT(weft_begin(db, &txn, &error_), WEFT_OK);
  EXPECT(weft_txn_put_json(txn, "todo/2", "{}", &error_), WEFT_OK);
  EXPECT(weft_txn_commit(txn, NULL, &error_), WEFT_NOT_SUPPORTED);
  weft_close(db);
  weft_opts_free(opts);
  weft_opts_free(NULL);
}

/* The secure channel: identities, a server that lets in one of them as a
 * reader, a client that expects the server's identity. */
static void test_secure_sync(const char* dir) {
  weft_db* hub = open_db(dir, "secure_hub");
  weft_db* reader = open_db(dir, "secure_reader");
  char* hub_id = NULL;
  char* reader_id = NULL;
  EXPECT(weft_identity(hub, NULL, &hub_id, &error_), WEFT_OK);
  EXPECT(weft_identity(reader, NULL, &reader_id, &error_), WEFT_OK);
  CHECK(hub_id != NULL && strlen(hub_id) == 52);
  weft_free(hub_id);
  EXPECT(weft_identity(hub, dir, &hub_id, &error_), WEFT_INVALID_ARGUMENT);
  CHECK(hub_id == NULL); /* the directory is no key file */
  EXPECT(weft_identity(hub, NULL, &hub_id, &error_), WEFT_OK);
  put(hub, "notes/h", "{\"from\": \"hub\"}");
  put(reader, "notes/r", "{\"from\": \"reader\"}");

  weft_sync_opts* serving = weft_sync_opts_new();
  CHECK(serving != NULL);
  EXPECT(weft_sync_opts_add_peer(serving, "nonsense", 1, NULL, &error_),
         WEFT_INVALID_ARGUMENT);
  EXPECT(weft_sync_opts_add_peer(serving, reader_id, 0, "kiosk", &error_),
         WEFT_OK);
  weft_server* server = NULL;
  EXPECT(weft_serve_with(hub, "127.0.0.1", 0, serving, &server, &error_),
         WEFT_OK);
  weft_sync_opts* dialling = weft_sync_opts_new();
  EXPECT(weft_sync_opts_add_peer(dialling, hub_id, 1, "hub", &error_),
         WEFT_OK);
  char* stats = NULL;
  EXPECT(weft_sync_with(reader, "127.0.0.1", weft_server_port(server),
                        dialling, &stats, &error_),
         WEFT_OK);
  CHECK(stats != NULL && strstr(stats, "\"changes_received\":1") != NULL);
  CHECK(strstr(stats, "\"changes_sent\":0") != NULL); /* a reader */
  weft_free(stats);
  /* Plaintext to a server that checks identities is refused. */
  EXPECT(weft_sync_with(reader, "127.0.0.1", weft_server_port(server), NULL,
                        NULL, &error_),
         WEFT_IO_ERROR);
  EXPECT(weft_server_set_peers(server, dialling, &error_), WEFT_OK);
  weft_server_stop(server);
  weft_sync_opts_free(serving);
  weft_sync_opts_free(dialling);
  char* json = NULL;
  EXPECT(weft_get_json(hub, "notes/r", NULL, &json, &error_), WEFT_NOT_FOUND);
  weft_free(hub_id);
  weft_free(reader_id);
  weft_close(hub);
  weft_close(reader);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: weft_c_test TEMP_DIR\n");
    return 2;
  }
  const char* dir = argv[1];
  CHECK(strcmp(weft_version(), WEFT_VERSION_STRING) == 0);
  test_opts_and_reads(dir);
  test_secure_sync(dir);

  /* Opening: options, errors. */
  weft_options options = weft_options_default();
  CHECK(options.create_if_missing == 1 && options.sync == 0);
  options.create_if_missing = 0;
  weft_db* missing = NULL;
  char path[1024];
  snprintf(path, sizeof(path), "%s/none", dir);
  EXPECT(weft_open(path, &options, &missing, &error_), WEFT_NOT_FOUND);
  CHECK(missing == NULL);
  EXPECT(weft_open(NULL, NULL, &missing, &error_), WEFT_INVALID_ARGUMENT);
  weft_db* db = open_db(dir, "a");
  weft_db* locked = NULL;
  snprintf(path, sizeof(path), "%s/a", dir);
  EXPECT(weft_open(path, NULL, &locked, &error_), WEFT_BUSY);

  /* Subscriptions before the edits. */
  uint64_t subscription = 0;
  EXPECT(weft_subscribe(db, "collection", "todo", on_change, &events,
                        &subscription, &error_),
         WEFT_OK);
  EXPECT(weft_subscribe(db, "planet", "x", on_change, &events, &subscription,
                        &error_),
         WEFT_INVALID_ARGUMENT);

  /* A transaction with every kind of edit. */
  weft_txn* txn = NULL;
  EXPECT(weft_begin(db, &txn, &error_), WEFT_OK);
  EXPECT(weft_txn_put_json(txn, "todo/1", "{\"title\": \"milk\", \"n\": 2}",
                           &error_),
         WEFT_OK);
  EXPECT(weft_txn_set_json(txn, "todo/1", "address.city", "\"Oslo\"", &error_),
         WEFT_OK);
  EXPECT(weft_txn_increment(txn, "todo/1", "votes", 3, &error_), WEFT_OK);
  EXPECT(weft_txn_set_add(txn, "todo/1", "tags", "\"home\"", &error_), WEFT_OK);
  EXPECT(weft_txn_set_add(txn, "todo/1", "tags", "\"work\"", &error_), WEFT_OK);
  EXPECT(weft_txn_set_remove(txn, "todo/1", "tags", "\"work\"", &error_),
         WEFT_OK);
  EXPECT(weft_txn_list_insert(txn, "todo/1", "steps", 0, "\"go\"", &error_),
         WEFT_OK);
  EXPECT(weft_txn_list_insert(txn, "todo/1", "steps", 1, "\"buy\"", &error_),
         WEFT_OK);
  EXPECT(weft_txn_list_delete(txn, "todo/1", "steps", 0, 1, &error_), WEFT_OK);
  EXPECT(weft_txn_splice_text(txn, "todo/1", "note", 0, 0, "oat", &error_),
         WEFT_OK);
  EXPECT(weft_txn_put_json(txn, "todo/2", "{\"title\": \"gone\"}", &error_),
         WEFT_OK);
  EXPECT(weft_txn_delete(txn, "todo/2", NULL, &error_), WEFT_OK);
  EXPECT(weft_txn_delete(txn, "todo/1", "n", &error_), WEFT_OK);
  char* hash = NULL;
  EXPECT(weft_txn_commit(txn, &hash, &error_), WEFT_OK);
  CHECK(hash != NULL && strlen(hash) == 64);
  CHECK(events == 1);
  CHECK(strstr(last_event, "\"todo/1\"") != NULL);

  char* json = NULL;
  EXPECT(weft_get_json(db, "todo/1", NULL, &json, &error_), WEFT_OK);
  CHECK(
      json != NULL &&
      strcmp(json,
             "{\"address\":{\"city\":\"Oslo\"},\"note\":\"oat\",\"steps\":"
             "[\"buy\"],\"tags\":[\"home\"],\"title\":\"milk\",\"votes\":3}") ==
          0);
  weft_free(json);
  EXPECT(weft_get_json(db, "todo/1", "address.city", &json, &error_), WEFT_OK);
  CHECK(strcmp(json, "\"Oslo\"") == 0);
  weft_free(json);
  EXPECT(weft_get_json(db, "todo/2", NULL, &json, &error_), WEFT_NOT_FOUND);
  CHECK(json == NULL);

  /* Failed edits poison the transaction: nothing commits. */
  EXPECT(weft_begin(db, &txn, &error_), WEFT_OK);
  EXPECT(weft_txn_set_json(txn, "todo/3", "x", "not json", &error_),
         WEFT_INVALID_ARGUMENT);
  EXPECT(weft_txn_set_add(txn, "todo/3", "s", "[1]", &error_),
         WEFT_INVALID_ARGUMENT);
  EXPECT(weft_txn_put_json(txn, "no-slash", "{}", &error_),
         WEFT_INVALID_ARGUMENT);
  EXPECT(weft_txn_splice_text(txn, "todo/3", "t", 0, 0, "\xff\xfe", &error_),
         WEFT_INVALID_ARGUMENT); /* invalid UTF-8 */
  char* no_hash = NULL;
  EXPECT(weft_txn_commit(txn, &no_hash, &error_), WEFT_INVALID_ARGUMENT);
  CHECK(no_hash == NULL);
  EXPECT(weft_get_json(db, "todo/3", NULL, &json, &error_), WEFT_NOT_FOUND);
  EXPECT(weft_begin(db, &txn, &error_), WEFT_OK);
  weft_txn_abort(txn);
  weft_txn_abort(NULL);

  /* NULL handles everywhere: errors, never crashes. */
  EXPECT(weft_begin(NULL, &txn, &error_), WEFT_INVALID_ARGUMENT);
  EXPECT(weft_txn_put_json(NULL, "a/b", "{}", &error_), WEFT_INVALID_ARGUMENT);
  EXPECT(weft_txn_commit(NULL, NULL, &error_), WEFT_INVALID_ARGUMENT);
  EXPECT(weft_get_json(NULL, "a/b", NULL, &json, &error_),
         WEFT_INVALID_ARGUMENT);
  EXPECT(weft_status(NULL, &json, &error_), WEFT_INVALID_ARGUMENT);
  CHECK(weft_iter_next(NULL, NULL) == -WEFT_INVALID_ARGUMENT);
  CHECK(strcmp(weft_iter_doc(NULL), "") == 0);
  weft_close(NULL);
  weft_iter_free(NULL);
  weft_server_stop(NULL);
  weft_free(NULL);

  /* Views and queries. */
  put(db, "todo/4", "{\"title\": \"bread\", \"n\": 5}");
  put(db, "todo/5", "{\"title\": \"eggs\", \"n\": 9}");
  EXPECT(weft_view_create(db,
                          "{\"name\": \"by_n\", \"kind\": \"index\", "
                          "\"collection\": \"todo\", \"fields\": [\"n\"]}",
                          &error_),
         WEFT_OK);
  EXPECT(weft_view_create(db,
                          "{\"name\": \"by_n\", \"kind\": \"index\", "
                          "\"collection\": \"todo\", \"fields\": [\"x\"]}",
                          &error_),
         WEFT_ALREADY_EXISTS);
  EXPECT(weft_view_create(db, "{\"kind\": \"nonsense\"}", &error_),
         WEFT_INVALID_ARGUMENT);
  EXPECT(weft_view_list(db, &json, &error_), WEFT_OK);
  CHECK(strstr(json, "\"by_n\"") != NULL);
  weft_free(json);
  EXPECT(weft_view_rows(db, "by_n", &json, &error_), WEFT_OK);
  CHECK(strstr(json, "\"todo/5\"") != NULL);
  weft_free(json);
  EXPECT(weft_view_rebuild(db, "by_n", &error_), WEFT_OK);
  EXPECT(weft_explain(db, "todo", "{\"n\": {\"$gt\": 4}}", &json, &error_),
         WEFT_OK);
  CHECK(strstr(json, "\"uses_index\":true") != NULL);
  weft_free(json);
  weft_iter* iter = NULL;
  EXPECT(
      weft_find(db, "todo", "{\"n\": {\"$gt\": 4}}", "n", 1, 0, &iter, &error_),
      WEFT_OK);
  int found = 0;
  char* iter_error = NULL;
  const char* first = NULL;
  while (weft_iter_next(iter, &iter_error) == 1) {
    if (found++ == 0) first = weft_iter_doc(iter);
    CHECK(strlen(weft_iter_json(iter)) > 2);
    if (found == 1) CHECK(strcmp(first, "todo/5") == 0); /* descending */
  }
  CHECK(iter_error == NULL);
  CHECK(found == 2);
  CHECK(weft_iter_next(iter, NULL) == 0);
  weft_iter_free(iter);
  EXPECT(weft_find(db, "todo", "{\"n\": {\"$near\": 1}}", NULL, 0, 0, &iter,
                   &error_),
         WEFT_INVALID_ARGUMENT);
  CHECK(iter == NULL);
  EXPECT(weft_view_drop(db, "by_n", &error_), WEFT_OK);
  EXPECT(weft_view_drop(db, "by_n", &error_), WEFT_NOT_FOUND);
  EXPECT(weft_view_rows(db, "by_n", &json, &error_), WEFT_NOT_FOUND);

  /* Status, heads, the log. */
  EXPECT(weft_status(db, &json, &error_), WEFT_OK);
  CHECK(strstr(json, "\"log_length\":3") != NULL);
  weft_free(json);
  EXPECT(weft_heads(db, &json, &error_), WEFT_OK);
  CHECK(strlen(json) == 68); /* ["<64 hex>"] */
  weft_free(json);
  EXPECT(weft_change_at(db, 1, &json, &error_), WEFT_OK);
  CHECK(strstr(json, hash) != NULL);
  weft_free(json);
  weft_free(hash);
  EXPECT(weft_change_at(db, 99, &json, &error_), WEFT_NOT_FOUND);

  /* Export / import into a second database. */
  char bundle[1024];
  snprintf(bundle, sizeof(bundle), "%s/todo.bundle", dir);
  EXPECT(weft_export(db, bundle, &error_), WEFT_OK);
  weft_db* copy = open_db(dir, "copy");
  EXPECT(weft_import(copy, bundle, &error_), WEFT_OK);
  EXPECT(weft_get_json(copy, "todo/5", "title", &json, &error_), WEFT_OK);
  CHECK(strcmp(json, "\"eggs\"") == 0);
  weft_free(json);
  snprintf(bundle, sizeof(bundle), "%s/absent.bundle", dir);
  EXPECT(weft_import(copy, bundle, &error_), WEFT_IO_ERROR);

  /* Sync over loopback: a server on `db`, `other` syncs with it. */
  weft_server* server = NULL;
  EXPECT(weft_serve(db, "127.0.0.1", 0, NULL, &server, &error_), WEFT_OK);
  CHECK(weft_server_port(server) != 0);
  weft_server* open_server = NULL;
  EXPECT(weft_serve(db, "0.0.0.0", 0, NULL, &open_server, &error_),
         WEFT_INVALID_ARGUMENT); /* no key: loopback only */
  weft_db* other = open_db(dir, "other");
  put(other, "todo/9", "{\"title\": \"from other\"}");
  char* stats = NULL;
  int events_before = events;
  EXPECT(weft_sync(other, "127.0.0.1", weft_server_port(server), NULL, &stats,
                   &error_),
         WEFT_OK);
  CHECK(stats != NULL && strstr(stats, "\"changes_sent\":1") != NULL);
  weft_free(stats);
  /* The subscription saw the synced change (stored before the ack). */
  CHECK(events == events_before + 1);
  CHECK(strstr(last_event, "\"remote\":true") != NULL);
  EXPECT(weft_sync(other, "127.0.0.1", weft_server_port(server), "a key",
                   &stats, &error_),
         WEFT_IO_ERROR); /* a key means TLS, which this server lacks */
  weft_server_stop(server);
  EXPECT(weft_get_json(other, "todo/5", "title", &json, &error_), WEFT_OK);
  weft_free(json);

  EXPECT(weft_unsubscribe(db, subscription, &error_), WEFT_OK);
  EXPECT(weft_unsubscribe(db, subscription, &error_), WEFT_NOT_FOUND);
  weft_close(other);
  weft_close(copy);
  weft_close(db);

  /* Handles that outlive their database: every call on them fails, and
   * freeing them afterwards is safe (under ASan: no use after free). */
  weft_db* closing = open_db(dir, "closing");
  put(closing, "todo/1", "{\"n\": 1}");
  weft_txn* open_txn = NULL;
  weft_txn* aborted_txn = NULL;
  weft_iter* open_iter = NULL;
  weft_server* orphan_server = NULL;
  EXPECT(weft_begin(closing, &open_txn, &error_), WEFT_OK);
  EXPECT(weft_txn_set_json(open_txn, "todo/2", "n", "2", &error_), WEFT_OK);
  EXPECT(weft_find(closing, "todo", NULL, NULL, 0, 0, &open_iter, &error_),
         WEFT_OK);
  EXPECT(weft_serve(closing, "127.0.0.1", 0, NULL, &orphan_server, &error_),
         WEFT_OK);
  weft_close(closing);
  EXPECT(weft_txn_set_json(open_txn, "todo/2", "n", "3", &error_),
         WEFT_INVALID_ARGUMENT);
  EXPECT(weft_txn_commit(open_txn, NULL, &error_), WEFT_INVALID_ARGUMENT);
  char* orphan_error = NULL;
  CHECK(weft_iter_next(open_iter, &orphan_error) == -WEFT_INVALID_ARGUMENT);
  CHECK(orphan_error != NULL && strstr(orphan_error, "closed") != NULL);
  weft_free(orphan_error);
  weft_iter_free(open_iter);
  CHECK(weft_server_port(orphan_server) == 0);
  weft_server_stop(orphan_server);
  closing = open_db(dir, "closing"); /* reopens: nothing was committed */
  EXPECT(weft_begin(closing, &aborted_txn, &error_), WEFT_OK);
  weft_close(closing);
  weft_txn_abort(aborted_txn);
  closing = open_db(dir, "closing");
  EXPECT(weft_get_json(closing, "todo/2", NULL, &json, &error_),
         WEFT_NOT_FOUND);
  weft_close(closing);

  if (failures > 0) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("all C API checks passed\n");
  return 0;
}
