/* A to-do list on two replicas — a laptop and a phone — that edit offline
 * and then sync over 127.0.0.1. Build against an installed weft:
 *
 *   cc todo_sync.c $(pkg-config --cflags --libs weft) -o todo_sync
 *   ./todo_sync /tmp/todo-demo
 *
 * Exit status 0 when both replicas show the same list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

/* Prints the error, frees it and stops: the example keeps errors simple. */
static void check(int code, char* error, const char* what) {
  if (code == WEFT_OK) return;
  fprintf(stderr, "%s failed (%d): %s\n", what, code, error ? error : "");
  weft_free(error);
  exit(1);
}

static weft_db* open_replica(const char* dir, const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  weft_db* db = NULL;
  char* error = NULL;
  check(weft_open(path, NULL, &db, &error), error, "open");
  return db;
}

/* One transaction: put a to-do, then count how often it was touched. */
static void add_todo(weft_db* db, const char* doc, const char* title) {
  weft_txn* txn = NULL;
  char* error = NULL;
  char json[512];
  snprintf(json, sizeof json, "{\"title\": \"%s\", \"done\": false}", title);
  check(weft_begin(db, &txn, &error), error, "begin");
  check(weft_txn_put_json(txn, doc, json, &error), error, "put");
  check(weft_txn_increment(txn, doc, "edits", 1, &error), error, "increment");
  check(weft_txn_commit(txn, NULL, &error), error, "commit");
}

static void mark_done(weft_db* db, const char* doc) {
  weft_txn* txn = NULL;
  char* error = NULL;
  check(weft_begin(db, &txn, &error), error, "begin");
  check(weft_txn_set_json(txn, doc, "done", "true", &error), error, "set");
  check(weft_txn_increment(txn, doc, "edits", 1, &error), error, "increment");
  check(weft_txn_commit(txn, NULL, &error), error, "commit");
}

/* The whole list as one string ("doc json" lines), printed under `who`. */
static char* list_todos(weft_db* db, const char* who) {
  weft_iter* iter = NULL;
  char* error = NULL;
  size_t size = 1, used = 0;
  char* list = calloc(1, size);
  check(weft_find(db, "todos", NULL, NULL, 0, 0, &iter, &error), error, "find");
  int more;
  while ((more = weft_iter_next(iter, &error)) == 1) {
    const char* doc = weft_iter_doc(iter);
    const char* json = weft_iter_json(iter);
    size_t line = strlen(doc) + strlen(json) + 2;
    list = realloc(list, size += line);
    used += (size_t)snprintf(list + used, line + 1, "%s %s\n", doc, json);
  }
  weft_iter_free(iter);
  if (more < 0) check(-more, error, "iterate");
  printf("%s:\n%s", who, list);
  return list;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR (an empty folder for both replicas)\n",
            argv[0]);
    return 2;
  }
  printf("weft %s\n", weft_version());
  weft_db* laptop = open_replica(argv[1], "laptop");
  weft_db* phone = open_replica(argv[1], "phone");

  /* Offline, each side adds its own to-dos. */
  add_todo(laptop, "todos/milk", "buy milk");
  add_todo(laptop, "todos/tax", "file the tax return");
  add_todo(phone, "todos/mum", "call mum");

  /* The laptop serves on a free loopback port; the phone syncs with it. */
  weft_server* server = NULL;
  char* error = NULL;
  char* stats = NULL;
  check(weft_serve(laptop, "127.0.0.1", 0, NULL, &server, &error), error,
        "serve");
  uint16_t port = weft_server_port(server);
  check(weft_sync(phone, "127.0.0.1", port, NULL, &stats, &error), error,
        "sync");
  printf("sync: %s\n", stats);
  weft_free(stats);

  /* The phone ticks one off; one more sync brings it to the laptop. */
  mark_done(phone, "todos/milk");
  check(weft_sync(phone, "127.0.0.1", port, NULL, NULL, &error), error,
        "sync");
  weft_server_stop(server);

  char* on_laptop = list_todos(laptop, "laptop");
  char* on_phone = list_todos(phone, "phone");
  int same = strcmp(on_laptop, on_phone) == 0 && strstr(on_laptop, "call mum") &&
             strstr(on_laptop, "\"done\":true");
  printf("%s\n", same ? "converged" : "DIFFERENT");
  free(on_laptop);
  free(on_phone);
  weft_close(phone);
  weft_close(laptop);
  return same ? 0 : 1;
}
