// Evaluating predicates and checking view definitions (weft/view.h).
#pragma once

#include "engine/crdt/document.h"
#include "weft/view.h"

namespace weft::engine {

// True if `document` satisfies `predicate` (see weft/view.h for the
// comparison rules).
bool Matches(const Predicate& predicate, const Document& document);

// InvalidArgument naming the problem, or OK.
Status ValidateDefinition(const ViewDefinition& definition);

}  // namespace weft::engine
