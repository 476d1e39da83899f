#include "change_format.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "json_text.h"

namespace weft::cli {
namespace {

using nlohmann::json;

std::string OpIdText(const OpId& id) {
  if (id.IsRoot()) return "root";
  return std::to_string(id.counter) + "@" + id.actor.ToHex().substr(0, 8);
}

json ScalarJson(const Scalar& value) {
  struct Visitor {
    json operator()(std::monostate) const { return nullptr; }
    json operator()(bool flag) const { return flag; }
    json operator()(int64_t number) const { return number; }
    json operator()(double real) const { return real; }
    json operator()(const std::string& text) const { return text; }
    json operator()(const Bytes& blob) const {
      return json{{"bytes_hex", HexOf(blob.data)}};
    }
    static std::string HexOf(const std::string& raw) {
      static constexpr char kDigits[] = "0123456789abcdef";
      std::string out;
      for (unsigned char byte : raw) {
        out.push_back(kDigits[byte >> 4]);
        out.push_back(kDigits[byte & 0xf]);
      }
      return out;
    }
  };
  return std::visit(Visitor(), value);
}

json OpJson(const Change& change, size_t op_idx) {
  const Op& op = change.ops[op_idx];
  json out = {
      {"id", OpIdText({change.start_op + op_idx, change.actor})},
      {"action", OpActionName(op.action)},
      {"doc", change.docs[op.doc].collection + "/" + change.docs[op.doc].key},
      {"obj", OpIdText(op.obj)}};
  if (!op.key.empty()) out["key"] = op.key;
  if (!op.elem.IsRoot()) out["elem"] = OpIdText(op.elem);
  if (op.value.index() != 0) out["value"] = ScalarJson(op.value);
  if (op.delta != 0) out["delta"] = op.delta;
  if (op.count != 0) out["count"] = op.count;
  if (!op.text.empty()) out["text"] = op.text;
  if (!op.pred.empty()) {
    json pred = json::array();
    for (const OpId& id : op.pred) pred.push_back(OpIdText(id));
    out["pred"] = pred;
  }
  return out;
}

json ChangeJson(const StoredChange& stored) {
  const Change& change = stored.change;
  json parents = json::array();
  for (const Hash& parent : change.parents) parents.push_back(parent.ToHex());
  json ops = json::array();
  for (size_t op_idx = 0; op_idx < change.ops.size(); ++op_idx) {
    ops.push_back(OpJson(change, op_idx));
  }
  return {{"hash", stored.hash.ToHex()},
          {"position", stored.position},
          {"height", stored.height},
          {"bytes", stored.bytes.size()},
          {"actor", change.actor.ToHex()},
          {"seq", change.seq},
          {"start_op", change.start_op},
          {"time_ms", change.time_ms},
          {"time", IsoTime(change.time_ms)},
          {"message", change.message},
          {"parents", parents},
          {"ops", ops}};
}

}  // namespace

std::string Counted(uint64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

std::string IsoTime(int64_t time_ms) {
  std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm utc{};
  if (time_ms < 0 || gmtime_r(&seconds, &utc) == nullptr) {
    return std::to_string(time_ms) + " ms";
  }
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, static_cast<int>(time_ms % 1000));
  return text;
}

namespace {

// "3 min ago": how long before `now_ms` `then_ms` was.
std::string Ago(int64_t then_ms, int64_t now_ms) {
  int64_t seconds = std::max<int64_t>(0, (now_ms - then_ms) / 1000);
  if (seconds < 120) return std::to_string(seconds) + " s ago";
  if (seconds < 7200) return std::to_string(seconds / 60) + " min ago";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + " h ago";
  return std::to_string(seconds / 86400) + " days ago";
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string PeerToJson(const PeerInfo& peer) {
  json out = {
      {"replica", peer.replica.ToHex()},
      {"addresses", peer.addresses},
      {"last_sync", peer.last_sync_ms > 0 ? json(IsoTime(peer.last_sync_ms))
                                          : json(nullptr)},
      {"actors", peer.actors},
      {"bytes", peer.bytes},
      {"lacks", peer.lacks}};
  if (peer.last_session_ms > 0) {
    out["last_session"] = {{"time", IsoTime(peer.last_session_ms)},
                           {"ok", peer.last_session_ok},
                           {"reason", peer.last_session_reason},
                           {"address", peer.last_session_address},
                           {"changes_sent", peer.changes_sent},
                           {"changes_received", peer.changes_received},
                           {"bytes_sent", peer.bytes_sent},
                           {"bytes_received", peer.bytes_received}};
  }
  return JsonText(out);
}

std::string PeerToText(const PeerInfo& peer, int64_t now_ms) {
  std::string line = peer.replica.ToHex();
  line += peer.last_sync_ms > 0
              ? "  last sync " + IsoTime(peer.last_sync_ms) + " (" +
                    Ago(peer.last_sync_ms, now_ms) + ")"
              : "  never synced";
  if (peer.last_session_ms > 0) {
    line +=
        "\n    last session " + IsoTime(peer.last_session_ms) + " (" +
        Ago(peer.last_session_ms, now_ms) + "): " +
        (peer.last_session_ok ? "ok" : "failed: " + peer.last_session_reason) +
        "; sent " + Counted(peer.changes_sent, "change") + " (" +
        Counted(peer.bytes_sent, "byte") + "), received " +
        Counted(peer.changes_received, "change") + " (" +
        Counted(peer.bytes_received, "byte") + ")";
    if (!peer.last_session_address.empty()) {
      line += " at " + peer.last_session_address;
    }
  }
  line += "\n    lacks " + Counted(peer.lacks, "change") +
          " this replica holds (as of its last sync); " +
          Counted(peer.actors, "actor") + " noted, " +
          Counted(peer.bytes, "byte");
  for (const std::string& address : peer.addresses) {
    line += "\n    answers at " + address;
  }
  return line;
}

std::string ChangeToJson(const StoredChange& stored) {
  return JsonText(ChangeJson(stored));
}

std::string ChangeToText(const StoredChange& stored) {
  const Change& change = stored.change;
  std::string out = "change   " + stored.hash.ToHex() + "\n";
  out += "position " + std::to_string(stored.position) + "  height " +
         std::to_string(stored.height) + "  bytes " +
         std::to_string(stored.bytes.size()) + "\n";
  out += "actor    " + change.actor.ToHex() + "  seq " +
         std::to_string(change.seq) + "  start_op " +
         std::to_string(change.start_op) + "\n";
  out += "time     " + IsoTime(change.time_ms) + "  (time_ms " +
         std::to_string(change.time_ms) + ")\n";
  for (const Hash& parent : change.parents) {
    out += "parent   " + parent.ToHex() + "\n";
  }
  if (!change.message.empty()) out += "message  " + change.message + "\n";
  out += "ops      " + std::to_string(change.ops.size()) + "\n";
  for (size_t op_idx = 0; op_idx < change.ops.size(); ++op_idx) {
    out += "  " + JsonText(OpJson(change, op_idx)) + "\n";
  }
  return out;
}

std::string ChangeSummary(const StoredChange& stored) {
  const Change& change = stored.change;
  std::string line =
      std::to_string(stored.position) + "  " + stored.hash.Short() + "  " +
      change.actor.ToHex().substr(0, 8) + " seq " + std::to_string(change.seq) +
      "  " + Counted(change.ops.size(), "op") + "  " + IsoTime(change.time_ms);
  if (!change.message.empty()) line += "  " + change.message;
  return line;
}

}  // namespace weft::cli
