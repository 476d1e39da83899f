// Renders changes for people (text) and scripts (JSON).
#pragma once

#include <string>

#include "weft/database.h"

namespace weft::cli {

std::string ChangeToText(const StoredChange& stored);
std::string ChangeToJson(const StoredChange& stored);
// One line: position, short hash, actor, seq, op count, message.
std::string ChangeSummary(const StoredChange& stored);

}  // namespace weft::cli
