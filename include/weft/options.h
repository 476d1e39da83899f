// Options for opening a weft database. Every field says its default.
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft {

struct Options {
  // Create the database if it is missing.
  // Default: true
  bool create_if_missing = true;

  // Fail if the database already exists.
  // Default: false
  bool error_if_exists = false;

  // Open an existing database for reading only. Nothing is written to its
  // folder and no lock is taken, so opening is several times faster and
  // another process may hold the database open for writing meanwhile; this
  // handle then reads the database as it was when opened. Every write
  // (commit, view change, import, a sync that receives) returns
  // NotSupported, and a view left half built is not resumed.
  // Default: false
  bool read_only = false;

  // fsync the write-ahead log on every commit. With false a commit survives
  // a crash of the process but the last commits may be lost if the machine
  // loses power; with true a commit that returned OK survives both.
  // Default: false
  bool sync = false;

  // Largest encoded change accepted, local or remote, in bytes.
  // Default: 4 MiB (hard ceiling: 64 MiB)
  size_t change_bytes_max = 4u << 20;

  // Largest string, bytes value or inserted text a transaction accepts.
  // Default: 1 MiB
  size_t value_bytes_max = 1u << 20;

  // Bound of the pending area: remote changes that arrived before their
  // parents. A change that would exceed either bound is rejected with Busy.
  // Default: 10000 changes, 64 MiB
  size_t pending_changes_max = 10000;
  size_t pending_bytes_max = 64u << 20;

  // What the database may hold in memory, in bytes, for small devices:
  // RocksDB's memtables (a quarter, through one write buffer manager whose
  // memory is charged to the block cache), its block cache (an eighth),
  // decoded runs of the log (an eighth) and recently staged changes (a
  // sixty-fourth); the rest is left to the documents being edited, views
  // and transient buffers, which it does not bound. The pending area has
  // its own bounds (above). Below 64 MiB, RocksDB's files being written
  // buffer 256 KiB each (not 1 MiB) and, with glibc, memory freed by
  // background threads is returned to the system after each flush and
  // compaction (malloc_trim). A smaller budget flushes and evicts sooner:
  // engine/FORMAT.md, "Memory budget", measures what it costs.
  // Default: 256 MiB (at least 4 MiB)
  size_t memory_budget_bytes = 256u << 20;

  // Documents a view build reads and writes per step. Commits wait for at
  // most one step; a crash loses at most one step of build work.
  // Default: 1024
  size_t view_build_step_documents = 1024;
};

}  // namespace weft
