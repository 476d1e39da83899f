// Raw TCP on 127.0.0.1 for tests that play a peer byte by byte. Every read
// waits at most 5 s.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace weft::testing {

// A socket connected to 127.0.0.1:port; -1 if nobody listens.
inline int ConnectLoopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(port);
  where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&where), sizeof(where)) != 0) {
    close(fd);
    return -1;
  }
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// A socket listening on 127.0.0.1 at a free port (in *port), backlog 1;
// -1 if none could be made.
inline int ListenLoopback(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  if (fd < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0 ||
      listen(fd, 1) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

// Reads until the peer closes (or 5 s pass); returns what arrived.
inline std::string ReadUntilClosed(int fd) {
  std::string all;
  char chunk[4096];
  ssize_t got;
  while ((got = recv(fd, chunk, sizeof(chunk), 0)) > 0) all.append(chunk, got);
  return all;
}

// Sends `bytes` on a new connection, reads the answer to its end, closes.
inline std::string SendOnce(uint16_t port, const std::string& bytes) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "";
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string answer = ReadUntilClosed(fd);
  close(fd);
  return answer;
}

}  // namespace weft::testing
