// The sync session, initiator or responder, with or without a key, live or
// not, against a real database: the input plays the peer. Byte 0 picks the
// mode; then chunks (a length byte, then that many bytes) arrive one
// Receive each, with a Push and a Ping between them. Nothing may crash,
// and a failed session stays failed.
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::Database* db = weft::fuzz::SharedDatabase();
  weft::fuzz::Input input(data, size);
  uint8_t mode = input.Byte();
  weft::SyncOptions options;
  if (mode & 2) options.key = "a shared key of the replicas";
  options.live = (mode & 4) != 0;
  auto endpoint = db->NewSyncEndpoint((mode & 1) != 0, options);
  if (!endpoint.ok()) abort();
  (*endpoint)->TakeOutput();
  bool failed = false;
  while (!input.empty()) {
    std::string_view chunk = input.Take(input.Byte());
    weft::Status status = (*endpoint)->Receive(chunk);
    if (failed && status.ok()) abort();  // no second life
    failed = failed || !status.ok();
    (*endpoint)->Push().PermitUncheckedError();
    (*endpoint)->Ping();
    (*endpoint)->TakeOutput();
  }
  return 0;
}
