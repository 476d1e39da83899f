// Shell commands of replication: serve and sync.
#pragma once

#include <string>
#include <vector>

#include "commands.h"

namespace weft::cli {

int CmdServe(Database& db, const std::vector<std::string>& args,
             const Output& output);
// peers: the replicas this one remembers syncing with; peers forget
// REPLICA|all drops their records (their next summary goes in full).
// `identity`: prints this replica's identity (making its key if missing).
int CmdIdentity(Database& db, const std::vector<std::string>& args,
                const Output& output);
int CmdPeers(Database& db, const std::vector<std::string>& args,
             const Output& output);
int CmdSync(Database& db, const std::vector<std::string>& args,
            const Output& output);

}  // namespace weft::cli
