// ReadPeersFile: the peers a server lets in, one per line:
//
//   # comment
//   IDENTITY read|read-write [NAME...]
//
// IDENTITY is what `weft identity` prints on the peer (52 characters of
// base32; either case, dashes allowed). NAME (the rest of the line) is for
// people and logs.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tls/identity.h"
#include "weft/sync.h"

namespace weft {
namespace {

constexpr size_t kPeersFileBytesMax = 1 << 20;
constexpr size_t kPeersMax = 10000;

}  // namespace

Status CheckPeers(const std::vector<PeerGrant>& peers) {
  for (const PeerGrant& grant : peers) {
    Result<std::string> id = tls::ParseIdentity(grant.identity);
    if (!id.ok()) {
      return Status::InvalidArgument(
          "peer '" + EscapeForLog(grant.identity, 64) + "'",
          id.status().message());
    }
  }
  return Status::OK();
}

Result<std::vector<PeerGrant>> ReadPeersFile(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return Status::NotFound("no peers file at " + path);
    return Status::IOError("cannot read the peers file " + path,
                           std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) {
    return Status::InvalidArgument("the peers file " + path +
                                   " is a directory");
  }
  if (static_cast<uint64_t>(info.st_size) > kPeersFileBytesMax) {
    return Status::InvalidArgument("the peers file " + path + " is over 1 MiB");
  }
  std::ifstream file(path);
  if (!file) {
    return Status::IOError("cannot read the peers file " + path,
                           std::strerror(errno));
  }
  std::vector<PeerGrant> peers;
  std::string line;
  for (size_t number = 1; std::getline(file, line); ++number) {
    std::string where = path + ":" + std::to_string(number) + ": ";
    std::istringstream words(line);
    std::string identity, access;
    if (!(words >> identity) || identity[0] == '#') continue;
    if (!(words >> access)) {
      return Status::InvalidArgument(
          where + "an identity needs its access: read or read-write");
    }
    Result<std::string> id = tls::ParseIdentity(identity);
    if (!id.ok()) return Status::InvalidArgument(where, id.status().message());
    if (access != "read" && access != "read-write") {
      return Status::InvalidArgument(where +
                                     "access is read or read-write, not '" +
                                     EscapeForLog(access, 32) + "'");
    }
    PeerGrant grant;
    grant.identity = *id;
    grant.may_write = access == "read-write";
    std::getline(words >> std::ws, grant.name);
    if (peers.size() == kPeersMax) {
      return Status::InvalidArgument(where + "over " +
                                     std::to_string(kPeersMax) + " peers");
    }
    peers.push_back(std::move(grant));
  }
  if (file.bad()) {
    return Status::IOError("cannot read the peers file " + path);
  }
  return peers;
}

}  // namespace weft
