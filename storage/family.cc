#include "storage/kv_store.h"

namespace weft::storage {

const char* FamilyName(Family family) {
  switch (family) {
    case Family::kLog:
      return "log";
    case Family::kIndex:
      return "index";
    case Family::kActors:
      return "actors";
    case Family::kDocs:
      return "docs";
    case Family::kViews:
      return "views";
    case Family::kPeers:
      return "peers";
    case Family::kMeta:
      return "meta";
    case Family::kSeqs:
      return "seqs";
  }
  return "unknown";
}

}  // namespace weft::storage
