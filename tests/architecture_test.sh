#!/bin/sh
# The layers' include rules (README "Layout"), checked on the source tree:
# the core (base/, dag/, engine/) and the public headers never include the
# front end, an adapter, RocksDB, sockets, HTTP, TLS or NATS; the shell and
# the bindings see the public API only, never the core's internals; the
# core reads no clock and no randomness but through its ports.
#
#   tests/architecture_test.sh [SOURCE_DIR]   exits 1, naming each breach
cd "${1:-.}" || exit 2
status=0

breach() {  # breach RULE FOLDERS... : grep pattern in FOLDERS' sources
  rule=$1 pattern=$2
  shift 2
  found=$(grep -rnE "^#include *[<\"]($pattern)" "$@" \
            --include='*.h' --include='*.cc' --include='*.c' 2>/dev/null)
  if [ -n "$found" ]; then
    echo "architecture: $rule:"
    echo "$found" | sed 's/^/  /'
    status=1
  fi
}

core="base dag engine include"
breach "the core includes RocksDB, sockets, HTTP, TLS or NATS" \
  'rocksdb/|asio|sys/socket|netinet/|arpa/|httplib|nats|openssl/ssl' $core
breach "the core includes the front end or an adapter" \
  'weft/database\.h|db/|net/|tls/|cli/|bindings/|storage/rocksdb|storage/memory' \
  $core
breach "the shell or a binding includes the core's internals" \
  'base/|dag/|engine/|storage/|db/|net/|tls/' cli bindings
breach "the storage port or an adapter includes the engine" \
  'engine/|db/' storage net tls
breach "the TLS adapter includes the front end or another adapter" \
  'weft/database\.h|net/|storage/|asio' tls

# The clock and randomness reach the core through ports (engine/world.h).
found=$(grep -rnE 'system_clock|steady_clock|RAND_bytes|getrandom|random_device|gettimeofday|clock_gettime' \
          base dag engine --include='*.h' --include='*.cc' 2>/dev/null)
if [ -n "$found" ]; then
  echo "architecture: the core reads a clock or randomness itself:"
  echo "$found" | sed 's/^/  /'
  status=1
fi
exit $status
