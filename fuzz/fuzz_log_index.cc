// The index and seqs values read from disk (engine/log/log_index.h): a
// bucket's records and a seq range. What decodes must encode back to the
// same bytes, and hold only what the format allows.
#include <cstdlib>

#include "engine/log/keys.h"
#include "engine/log/log_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<weft::engine::IndexRecord> records;
  if (weft::engine::DecodeIndexBucket(bytes, &records)) {
    for (const auto& record : records) {
      if (record.height == 0 || record.height > record.position) abort();
    }
  }
  // The first 24 bytes as a seqs key, the rest as its value.
  if (size < 24) return 0;
  weft::ActorId actor;
  weft::engine::SeqRange range;
  if (weft::engine::DecodeSeqRange(bytes.substr(0, 24), bytes.substr(24),
                                   &actor, &range)) {
    if (range.count == 0 || !range.Holds(range.first_seq)) abort();
    if (weft::engine::EncodeSeqKey(actor, range.first_seq) !=
        bytes.substr(0, 24)) {
      abort();
    }
    // Varints have more than one encoding: compare what they mean.
    weft::ActorId again_actor;
    weft::engine::SeqRange again;
    if (!weft::engine::DecodeSeqRange(bytes.substr(0, 24),
                                      weft::engine::EncodeSeqRange(range),
                                      &again_actor, &again) ||
        again.first_position != range.first_position ||
        again.count != range.count) {
      abort();
    }
  }
  return 0;
}
