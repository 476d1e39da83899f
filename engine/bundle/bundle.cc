#include "engine/bundle/bundle.h"

#include <algorithm>

#include "base/varint.h"
#include "dag/change_limits.h"
#include "dag/sha256.h"

namespace weft::engine {
namespace {

constexpr std::string_view kMagic = "WEFTBNDL";
// 1: changes and heads; 2: also the replica's view definitions; 3: also
// the proofs of authorship of the changes; 4: the changes in runs.
constexpr uint32_t kVersion = 4;
constexpr uint32_t kVersionOfVerbatimChanges = 3;
constexpr uint64_t kViewsMax = 10000;
// A run of a bundle holds at most this many changes, and is cut before its
// changes' canonical bytes pass kRunBytes (a larger change goes alone).
constexpr size_t kRunChanges = 1u << 16;
constexpr size_t kRunBytes = 16u << 20;

// Version 3: each change's bytes, verified canonical.
Status GetVerbatimChanges(std::string_view* in, size_t bytes_max,
                          std::vector<dag::RunChange>* changes) {
  uint64_t count;
  if (!GetVarint(in, &count) || count > in->size()) {
    return Status::Corruption("bundle: bad change count");
  }
  size_t total = 0;
  for (uint64_t change_idx = 0; change_idx < count; ++change_idx) {
    uint64_t size;
    if (!GetVarint(in, &size) || size > in->size() ||
        size > limits::kChangeBytesCeiling) {
      return Status::Corruption("bundle: bad change size");
    }
    total += size;
    if (total > bytes_max) {
      return Status::InvalidArgument("bundle: over its size limit");
    }
    Result<dag::RunChange> change =
        dag::RunChangeOf(std::string(in->substr(0, size)));
    if (!change.ok()) {
      return Status::Corruption(
          "bundle: change " + std::to_string(change_idx + 1),
          change.status().ToString());
    }
    changes->push_back(std::move(*change));
    in->remove_prefix(size);
  }
  return Status::OK();
}

Status GetRuns(std::string_view* in, size_t bytes_max,
               std::vector<dag::RunChange>* changes) {
  uint64_t count;
  uint64_t runs;
  if (!GetVarint(in, &count) || !GetVarint(in, &runs) || runs > in->size()) {
    return Status::Corruption("bundle: bad change or run count");
  }
  size_t total = 0;  // bytes of the rebuilt changes
  for (uint64_t run_idx = 0; run_idx < runs; ++run_idx) {
    uint64_t size;
    if (!GetVarint(in, &size) || size > in->size()) {
      return Status::Corruption("bundle: bad run size");
    }
    dag::RunLimits limits;
    limits.changes_max =
        std::min<uint64_t>(kRunChanges, count - changes->size());
    limits.bytes_max = std::min(limits.bytes_max, bytes_max - total);
    Result<std::vector<dag::RunChange>> run =
        dag::DecodeRun(in->substr(0, size), limits);
    if (!run.ok()) {
      std::string at = "bundle: run " + std::to_string(run_idx + 1);
      return run.status().IsInvalidArgument()
                 ? Status::InvalidArgument(at, run.status().message())
                 : Status::Corruption(at, run.status().message());
    }
    in->remove_prefix(size);
    for (dag::RunChange& change : *run) {
      total += change.bytes.size();
      changes->push_back(std::move(change));
    }
  }
  if (changes->size() != count) {
    return Status::Corruption("bundle: its runs hold " +
                              std::to_string(changes->size()) +
                              " changes, not " + std::to_string(count));
  }
  return Status::OK();
}

}  // namespace

std::string EncodeBundle(const Bundle& bundle) {
  std::string out(kMagic);
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>(kVersion >> shift));
  }
  std::vector<std::string> runs;
  for (size_t first = 0; first < bundle.changes.size();) {
    std::vector<dag::RunChange> run;
    size_t bytes = 0;
    for (size_t next = first; next < bundle.changes.size(); ++next) {
      const dag::RunChange& change = bundle.changes[next];
      if (!run.empty() && (run.size() == kRunChanges ||
                           bytes + change.bytes.size() > kRunBytes)) {
        break;
      }
      bytes += change.bytes.size();
      run.push_back(change);
    }
    first += run.size();
    runs.push_back(dag::EncodeRunOf(run));
  }
  PutVarint(&out, bundle.changes.size());
  PutVarint(&out, runs.size());
  for (const std::string& run : runs) {
    PutVarint(&out, run.size());
    out += run;
  }
  PutVarint(&out, bundle.heads.size());
  for (const Hash& head : bundle.heads) out.append(head.AsStringView());
  PutVarint(&out, bundle.views.size());
  for (const std::string& view : bundle.views) {
    PutVarint(&out, view.size());
    out += view;
  }
  PutVarint(&out, bundle.proofs.size());
  out += bundle.proofs;
  out.append(dag::Sha256(out).AsStringView());
  return out;
}

void BundleChecksum::Update(std::string_view piece) {
  size_ += piece.size();
  if (head_.size() < kMagic.size()) {
    head_.append(piece.substr(0, kMagic.size() - head_.size()));
  }
  // Everything but the last 32 bytes is hashed.
  tail_.append(piece);
  if (tail_.size() > Hash::kSize) {
    size_t hashed = tail_.size() - Hash::kSize;
    hash_.Update(std::string_view(tail_).substr(0, hashed));
    tail_.erase(0, hashed);
  }
}

bool BundleChecksum::BadMagic() const {
  return head_.size() == kMagic.size() && head_ != kMagic;
}

Status BundleChecksum::Finish() {
  if (head_ != kMagic || size_ < 12 + Hash::kSize) {
    return Status::Corruption("not a weft bundle (bad size or magic)");
  }
  if (hash_.Finish() != Hash::FromBytes(tail_)) {
    return Status::Corruption(
        "bundle checksum mismatch: the file is damaged or truncated");
  }
  return Status::OK();
}

Result<Bundle> DecodeBundle(std::string_view bytes, size_t changes_bytes_max) {
  constexpr size_t kHeader = 12;  // magic + version
  if (bytes.size() < kHeader + Hash::kSize ||
      bytes.substr(0, kMagic.size()) != kMagic) {
    return Status::Corruption("not a weft bundle (bad size or magic)");
  }
  std::string_view body = bytes.substr(0, bytes.size() - Hash::kSize);
  if (dag::Sha256(body) != Hash::FromBytes(bytes.substr(body.size()))) {
    return Status::Corruption(
        "bundle checksum mismatch: the file is damaged or truncated");
  }
  uint32_t version = 0;
  for (int byte_idx = 0; byte_idx < 4; ++byte_idx) {
    version |= uint32_t{static_cast<uint8_t>(body[8 + byte_idx])}
               << (8 * byte_idx);
  }
  if (version == 1 || version == 2) {
    return Status::NotSupported(
        "bundle version " + std::to_string(version) +
        " was written before signed authorship: its changes carry no proof "
        "of who wrote them, and this build refuses them");
  }
  if (version != kVersion && version != kVersionOfVerbatimChanges) {
    return Status::NotSupported("bundle version " + std::to_string(version));
  }
  std::string_view in = body.substr(kHeader);
  Bundle bundle;
  WEFT_RETURN_IF_ERROR(
      version == kVersion
          ? GetRuns(&in, changes_bytes_max, &bundle.changes)
          : GetVerbatimChanges(&in, changes_bytes_max, &bundle.changes));
  uint64_t count;
  if (!GetVarint(&in, &count) || count > in.size() / Hash::kSize) {
    return Status::Corruption("bundle: bad heads");
  }
  for (uint64_t head_idx = 0; head_idx < count; ++head_idx) {
    bundle.heads.push_back(Hash::FromBytes(in.substr(0, Hash::kSize)));
    in.remove_prefix(Hash::kSize);
  }
  if (!GetVarint(&in, &count) || count > kViewsMax) {
    return Status::Corruption("bundle: bad view count");
  }
  for (uint64_t view_idx = 0; view_idx < count; ++view_idx) {
    uint64_t size;
    if (!GetVarint(&in, &size) || size > in.size()) {
      return Status::Corruption("bundle: bad view definition size");
    }
    bundle.views.emplace_back(in.substr(0, size));
    in.remove_prefix(size);
  }
  uint64_t size;
  if (!GetVarint(&in, &size) || size != in.size()) {
    return Status::Corruption("bundle: bad proofs size");
  }
  bundle.proofs = std::string(in);
  return bundle;
}

}  // namespace weft::engine
