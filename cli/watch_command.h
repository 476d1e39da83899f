// The watch command: prints the changes stored from now on, as they come.
#pragma once

#include <string>
#include <vector>

#include "commands.h"

namespace weft::cli {

// watch [COLL/KEY | COLL | view NAME]: each change stored after it started
// that touches the target (a document, a collection, a view's collection,
// or, without one, anything), local or received, with the touched
// documents' state, until SIGINT or SIGTERM. It holds no lock: `db` is
// open read-only, and the database is opened again (read-only) every
// 100 ms or so to read what was added.
int CmdWatch(Database& db, const std::vector<std::string>& args,
             const Output& output);

}  // namespace weft::cli
