// Renders changes and peers for people (text) and scripts (JSON).
#pragma once

#include <string>

#include "weft/database.h"

namespace weft::cli {

std::string ChangeToText(const StoredChange& stored);
std::string ChangeToJson(const StoredChange& stored);
// One line: position, short hash, actor, seq, op count, time, message.
std::string ChangeSummary(const StoredChange& stored);
// "1 op", "2 ops": `count` and `noun`, plural when count is not 1.
std::string Counted(uint64_t count, const std::string& noun);
// A peer as status and peers show it: one JSON object, or lines of text
// (`now_ms`: for "3 min ago").
std::string PeerToJson(const PeerInfo& peer);
std::string PeerToText(const PeerInfo& peer, int64_t now_ms);
// The wall clock, in ms since the Unix epoch.
int64_t NowMs();
// A change's time (ms since the Unix epoch) in ISO 8601, UTC, to the
// millisecond: 2026-12-04T21:30:46.123Z.
std::string IsoTime(int64_t time_ms);

}  // namespace weft::cli
