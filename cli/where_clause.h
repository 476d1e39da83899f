// The query words of find and explain:
//
//   where PATH OP VALUE [and PATH OP VALUE ...] [order by PATH [desc]]
//         [limit N]
//
// OP is one of = < <= > >=, or `PATH exists` / `PATH missing`. VALUE is a
// JSON scalar (true, 3.5, null, "two words") or, when it is not JSON, a
// bare word taken as a string (2026-12-01). Each part is optional, in this
// order. Example: where done = false and due < "2026-12-01" limit 10
#pragma once

#include <string>
#include <string_view>

#include "weft/status.h"
#include "weft/view.h"

namespace weft::cli {

// True if `word` starts such a clause (where, order, limit).
bool StartsWhereClause(std::string_view word);

// Sets *predicate and the clause's order and limit in *options.
Status ParseWhereClause(std::string_view text, Predicate* predicate,
                        FindOptions* options);

}  // namespace weft::cli
