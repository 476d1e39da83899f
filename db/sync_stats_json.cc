#include <nlohmann/json.hpp>

#include "weft/sync.h"

namespace weft {

std::string SyncStatsToJson(const SyncStats& stats) {
  nlohmann::json json = {{"round_trips", stats.round_trips},
                         {"bytes_sent", stats.bytes_sent},
                         {"bytes_received", stats.bytes_received},
                         {"changes_sent", stats.changes_sent},
                         {"changes_received", stats.changes_received},
                         {"pings_sent", stats.pings_sent},
                         {"pings_received", stats.pings_received},
                         {"seconds", stats.seconds},
                         {"equivocations", stats.equivocations}};
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace weft
