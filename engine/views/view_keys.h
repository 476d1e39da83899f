// The keys and values of view rows in the `views` family, shared by the
// files of ViewStore (layout: engine/FORMAT.md, "views").
#pragma once

#include <string>
#include <string_view>

#include "engine/views/field.h"
#include "weft/status.h"
#include "weft/view.h"

namespace weft::engine::view_keys {

constexpr char kDefinition = 'v';  // name -> definition JSON
constexpr char kBuildState = 'b';  // name -> where a build stands
// Rows: kind letter, name, 0x00, then per kind (engine/FORMAT.md).
constexpr char kNumberRow = 'a';      // aggregate: a document's number
constexpr char kGroupRow = 'g';       // aggregate: a group's totals
constexpr char kIndexRow = 'i';       // index: fields, document
constexpr char kProjectionRow = 'p';  // projection: document -> JSON
constexpr char kReverseRow = 'r';     // document -> its current row
constexpr char kRowKinds[] = {kNumberRow, kGroupRow, kIndexRow, kProjectionRow,
                              kReverseRow};

// Where the rows of `kind` of view `name` begin.
std::string RowPrefix(char kind, const std::string& name);
// The key of a view's definition or build state.
std::string MetaKey(char kind, const std::string& name);
bool StartsWith(std::string_view text, std::string_view prefix);
// A varint length, then that many bytes.
bool GetLengthPrefixed(std::string_view* in, std::string* out);
void PutLengthPrefixed(std::string* out, std::string_view bytes);
// An aggregate's row of one document's number: group, number, document.
std::string NumberRowKey(const std::string& name, const std::string& group,
                         const FieldValue& number, const std::string& doc_key);
// The document of a row's DocKey; Corruption if malformed.
Status DocOfKey(std::string_view doc_key, DocRef* doc);
// "collection/key", as rows name their document.
std::string DocAddress(const DocRef& doc);

}  // namespace weft::engine::view_keys
