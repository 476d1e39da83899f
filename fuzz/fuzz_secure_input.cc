// What the secure channel and its files take from outside: bytes from a
// peer fed to a TLS channel as a server and as a client (any chunking),
// a peers file, an identity key file, an identity, and the key exchange
// (SPAKE2) as either side. Every outcome must be a Status.
//
// Input: [selector][chunk sizes...] then the bytes.
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>

#include "fuzz/fuzz_util.h"
#include "tls/identity.h"
#include "tls/spake2.h"
#include "tls/tls_channel.h"
#include "weft/sync.h"

namespace weft::fuzz {
namespace {

// One identity for the whole run: making keys is not what is fuzzed.
struct Keys {
  Keys() {
    auto made = tls::LoadOrCreateIdentity(dir.Sub("identity.key"));
    if (!made.ok()) abort();
    identity = std::move(made).value();
    auto context = tls::TlsContext::New(identity);
    if (!context.ok()) abort();
    tls = *context;
  }
  testing::TempDir dir;
  tls::Identity identity;
  std::shared_ptr<tls::TlsContext> tls;
};

Keys& SharedKeys() {
  static Keys keys;
  return keys;
}

void FeedChannel(bool initiator, Input* input) {
  auto channel = tls::TlsChannel::New(
      SharedKeys().tls, initiator, [](const std::string& id) {
        return id.empty() ? Status::InvalidArgument("none") : Status::OK();
      });
  if (!channel.ok()) abort();
  (*channel)->TakeOutput();
  for (int chunk = 0; chunk < 64 && !input->empty(); ++chunk) {
    size_t size = 1 + input->Byte() * 16;
    std::string plaintext;
    Status fed = (*channel)->Feed(input->Take(size), &plaintext);
    (*channel)->TakeOutput();
    if (!fed.ok()) break;
    if ((*channel)->established()) {
      (*channel)->Send("frame").PermitUncheckedError();
    }
  }
  (*channel)->Close();
  (*channel)->TakeOutput();
}

void ReadAsFile(std::string_view bytes, bool peers) {
  std::string path = SharedKeys().dir.Sub(peers ? "peers" : "key.pem");
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  chmod(path.c_str(), 0600);
  if (peers) {
    ReadPeersFile(path).status().PermitUncheckedError();
  } else {
    tls::LoadIdentity(path).status().PermitUncheckedError();
  }
}

}  // namespace
}  // namespace weft::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::fuzz::Input input(data, size);
  switch (input.Byte() % 6) {
    case 0:
      weft::fuzz::FeedChannel(false, &input);
      break;
    case 1:
      weft::fuzz::FeedChannel(true, &input);
      break;
    case 2:
      weft::fuzz::ReadAsFile(input.rest(), true);
      break;
    case 3:
      weft::fuzz::ReadAsFile(input.rest(), false);
      break;
    case 4:
      weft::tls::ParseIdentity(input.rest()).status().PermitUncheckedError();
      break;
    default: {  // a key exchange, as either side, fed the rest
      auto exchange = weft::tls::Spake2::New(input.Byte() % 2 == 0, "key",
                                             std::string(32, 'b'));
      if (!exchange.ok()) abort();
      (*exchange)->TakeOutput();
      while (!input.empty()) {
        auto used = (*exchange)->Feed(input.Take(1 + input.Byte() % 80));
        (*exchange)->TakeOutput();
        if (!used.ok() || (*exchange)->done()) break;
      }
      break;
    }
  }
  return 0;
}
