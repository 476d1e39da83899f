/* Commits through the C API with sync=1 forever (bounded) and prints each
 * acknowledged hash on stdout, one per line, for crash_test to kill. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft.h"

static int Fail(const char* what, char* error) {
  fprintf(stderr, "%s: %s\n", what, error != NULL ? error : "?");
  weft_free(error);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: crash_writer_c DB_PATH SEED\n");
    return 2;
  }
  weft_options options = weft_options_default();
  options.sync = 1;
  weft_db* db = NULL;
  char* error = NULL;
  if (weft_open(argv[1], &options, &db, &error) != 0) {
    return Fail("open", error);
  }
  srand((unsigned)strtoul(argv[2], NULL, 10));
  for (int commit = 0; commit < 100000; ++commit) {
    weft_txn* txn = NULL;
    if (weft_begin(db, &txn, &error) != 0) return Fail("begin", error);
    char doc[32], json[96];
    snprintf(doc, sizeof(doc), "items/%d", rand() % 50);
    snprintf(json, sizeof(json), "{\"n\": %d, \"tag\": \"t%d\"}", rand(),
             rand() % 7);
    if (weft_txn_put_json(txn, doc, json, &error) != 0) {
      weft_txn_abort(txn);
      return Fail("put", error);
    }
    if (rand() % 4 == 0 &&
        weft_txn_splice_text(txn, doc, "note", 0, 0, "ab", &error) != 0) {
      weft_txn_abort(txn);
      return Fail("splice", error);
    }
    char* hash = NULL;
    if (weft_txn_commit(txn, &hash, &error) != 0) return Fail("commit", error);
    /* Acknowledged only once the commit returned: it must survive SIGKILL. */
    char line[80];
    int length = snprintf(line, sizeof(line), "%s\n", hash);
    weft_free(hash);
    if (write(STDOUT_FILENO, line, (size_t)length) != length) return 1;
  }
  weft_close(db);
  return 0;
}
