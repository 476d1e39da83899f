// Evaluating predicates and checking view definitions (weft/view.h).
#pragma once

#include <functional>
#include <optional>

#include "engine/crdt/document.h"
#include "engine/views/field.h"
#include "weft/view.h"

namespace weft::engine {

// True if `document` satisfies `predicate` (see weft/view.h for the
// comparison rules).
bool Matches(const Predicate& predicate, const Document& document);
// The same, with each field from `field` (nullopt: it cannot tell, and
// neither can this).
using FieldLookup =
    std::function<std::optional<FieldValue>(const std::string& path)>;
std::optional<bool> MatchesFields(const Predicate& predicate,
                                  const FieldLookup& field);
// Matches on a state read in place (RootMapPeek): nullopt when a field it
// names needs the document decoded (a nested path, concurrent values, an
// object).
std::optional<bool> MatchesPeek(const Predicate& predicate,
                                const RootMapPeek& peek);

// InvalidArgument naming the problem, or OK.
Status ValidateDefinition(const ViewDefinition& definition);

}  // namespace weft::engine
