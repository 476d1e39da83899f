// Shell commands that copy a database out and in: export, import, backup.
#pragma once

#include <string>
#include <vector>

#include "commands.h"

namespace weft::cli {

int CmdExport(Database& db, const std::vector<std::string>& args,
              const Output& output);
int CmdImport(Database& db, const std::vector<std::string>& args,
              const Output& output);
int CmdBackup(Database& db, const std::vector<std::string>& args,
              const Output& output);

}  // namespace weft::cli
