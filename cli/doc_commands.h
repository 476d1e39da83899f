// Shell commands on documents: put, get, set, del, incr, splice, sadd,
// srem, linsert, ldel.
#pragma once

#include <string>
#include <vector>

#include "commands.h"

namespace weft::cli {

int CmdPut(Database& db, const std::vector<std::string>& args,
           const Output& output);
int CmdGet(Database& db, const std::vector<std::string>& args,
           const Output& output);
int CmdSet(Database& db, const std::vector<std::string>& args,
           const Output& output);
int CmdDel(Database& db, const std::vector<std::string>& args,
           const Output& output);
int CmdIncr(Database& db, const std::vector<std::string>& args,
            const Output& output);
int CmdSplice(Database& db, const std::vector<std::string>& args,
              const Output& output);
int CmdSetAdd(Database& db, const std::vector<std::string>& args,
              const Output& output);
int CmdSetRemove(Database& db, const std::vector<std::string>& args,
                 const Output& output);
int CmdListInsert(Database& db, const std::vector<std::string>& args,
                  const Output& output);
int CmdListDelete(Database& db, const std::vector<std::string>& args,
                  const Output& output);

}  // namespace weft::cli
