// Shell commands of the read side: views, find, explain, status.
#pragma once

#include <string>
#include <vector>

#include "commands.h"

namespace weft::cli {

int CmdView(Database& db, const std::vector<std::string>& args,
            const Output& output);
int CmdViews(Database& db, const std::vector<std::string>& args,
             const Output& output);
int CmdFind(Database& db, const std::vector<std::string>& args,
            const Output& output);
int CmdExplain(Database& db, const std::vector<std::string>& args,
               const Output& output);
int CmdStatus(Database& db, const std::vector<std::string>& args,
              const Output& output);

}  // namespace weft::cli
