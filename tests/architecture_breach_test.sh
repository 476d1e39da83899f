#!/bin/sh
# Shows that tests/architecture_test.sh fails for each kind of breach: a copy
# of the tree passes, then each copy with one forbidden include fails.
#
#   tests/architecture_breach_test.sh SOURCE_DIR
source_dir=${1:?usage: architecture_breach_test.sh SOURCE_DIR}
check=$source_dir/tests/architecture_test.sh
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
failures=0

copy() {
  rm -rf "$work/tree" && mkdir "$work/tree"
  for dir in base dag engine include cli bindings storage net tls; do
    cp -r "$source_dir/$dir" "$work/tree/"
  done
}

copy
if ! sh "$check" "$work/tree" >/dev/null; then
  echo "FAIL: the unchanged tree does not pass"; failures=1
fi
# FILE INCLUDE: one line added to a copy must make the check fail.
while read -r file include; do
  copy
  case $include in
    \<*|\"*) echo "#include $include" >> "$work/tree/$file" ;;
    *) echo "$include" >> "$work/tree/$file" ;;
  esac
  if sh "$check" "$work/tree" >/dev/null; then
    echo "FAIL: $file including $include passed"; failures=1
  else
    echo "ok: $file including $include is refused"
  fi
done <<'BREACHES'
engine/engine.cc "weft/database.h"
dag/dag.cc "db/database.h"
engine/engine.h <asio.hpp>
engine/engine.cc <sys/socket.h>
base/utf.cc <httplib.h>
engine/engine.cc <nats/nats.h>
include/weft/sync.h <rocksdb/db.h>
cli/main.cc "engine/json/json_value.h"
bindings/c/weft_c.cc "engine/engine.h"
cli/commands.cc "storage/kv_store.h"
storage/kv_store.h "engine/engine.h"
engine/engine.cc "tls/tls_channel.h"
cli/main.cc "tls/identity.h"
tls/tls_channel.cc "engine/engine.h"
tls/identity.cc <asio.hpp>
net/tcp_sync.cc "engine/sync/session.h"
engine/engine.cc auto now=std::chrono::system_clock::now();
engine/engine_sync.cc RAND_bytes(nonce,32);
BREACHES
exit $failures
