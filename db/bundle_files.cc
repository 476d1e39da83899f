// Database::Export and Database::Import: a bundle file (engine/bundle/) to
// and from disk, written to a temporary name and renamed, read back only
// once its checksum holds.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "dag/authorship.h"
#include "engine/bundle/bundle.h"
#include "engine/engine.h"
#include "engine/log/change_log.h"
#include "weft/database.h"

namespace weft {
namespace {

// Changes between two progress reports of an export.
constexpr uint64_t kProgressEvery = 4096;

}  // namespace

Result<Database::ExportStats> Database::Export(
    const std::string& path, const ChangeProgressCallback& progress) const {
  std::error_code is_folder_error;
  if (std::filesystem::is_directory(path, is_folder_error)) {
    return Status::InvalidArgument("export: " + path +
                                   " is a folder; give the bundle's file name");
  }
  engine::Bundle bundle;
  for (const ViewDefinition& view : ListViews()) {
    bundle.views.push_back(view.ToJson());
  }
  std::vector<std::string> changes;
  WEFT_RETURN_IF_ERROR(engine_->Locked([&] {  // log and heads agree
    bundle.heads = engine_->log().Heads();
    uint64_t total = engine_->log().LogLength();
    return engine_->log().ForEachLogged(
        [&](uint64_t position, const Hash&, std::string_view bytes) {
          changes.emplace_back(bytes);
          if (progress && (position % kProgressEvery == 0 || position == total))
            progress(position, total);
          return true;
        });
  }));
  WEFT_ASSIGN_OR_RETURN(auto proofs, engine_->log().ProofsFor(changes));
  bundle.changes.reserve(changes.size());
  for (std::string& bytes : changes) {
    WEFT_ASSIGN_OR_RETURN(dag::RunChange change,
                          dag::RunChangeOf(std::move(bytes)));
    bundle.changes.push_back(std::move(change));
  }
  bundle.proofs = dag::EncodeProofs(proofs);
  std::string bytes = engine::EncodeBundle(bundle);
  // Written beside its place, then renamed over it: a failed export
  // leaves neither a partial bundle nor the temporary file.
  std::string temporary = path + ".tmp";
  std::error_code error;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(temporary, error);
      return Status::IOError("cannot write", temporary);
    }
  }
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::string why = error.message();
    std::filesystem::remove(temporary, error);
    return Status::IOError("cannot rename to " + path, why);
  }
  return ExportStats{bundle.changes.size(), bytes.size()};
}

Result<Database::ImportStats> Database::Import(
    const std::string& path, const ChangeProgressCallback& progress) {
  std::error_code error;
  if (!std::filesystem::exists(path, error) && !error) {
    return Status::IOError("import: no such file", path);
  }
  if (!std::filesystem::is_regular_file(path, error)) {
    return Status::IOError("cannot read", path + " (not a file)");
  }
  // First pass: magic and checksum, 1 MiB at a time. Only a bundle that
  // is whole is then read into memory (its changes go in one atomic write).
  std::ifstream in(path, std::ios::binary);
  engine::BundleChecksum checksum;
  std::string chunk(1u << 20, '\0');
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) ||
         in.gcount() > 0) {
    checksum.Update(std::string_view(chunk.data(), in.gcount()));
    if (checksum.BadMagic()) break;
  }
  if (in.bad()) return Status::IOError("cannot read", path);
  WEFT_RETURN_IF_ERROR(checksum.Finish());
  std::string bytes;
  in.clear();
  in.seekg(0);
  // (A read error may surface as an exception from the stream buffer.)
  try {
    bytes.assign(std::istreambuf_iterator<char>(in),
                 std::istreambuf_iterator<char>());
  } catch (const std::exception& failure) {
    return Status::IOError("cannot read " + path, failure.what());
  }
  if (!in && !in.eof()) return Status::IOError("cannot read", path);
  WEFT_ASSIGN_OR_RETURN(engine::Bundle bundle, engine::DecodeBundle(bytes));
  // Every view definition must be valid before anything is stored.
  std::vector<ViewDefinition> views;
  for (size_t view_idx = 0; view_idx < bundle.views.size(); ++view_idx) {
    Result<ViewDefinition> view =
        ViewDefinition::FromJson(bundle.views[view_idx]);
    if (!view.ok()) {
      return Status::Corruption(
          "bundle: view definition " + std::to_string(view_idx + 1),
          view.status().ToString());
    }
    views.push_back(std::move(view).value());
  }
  Result<std::vector<dag::AuthorshipProof>> proofs =
      engine::DecodeOfferedProofs(bundle.proofs, bundle.changes.size());
  if (!proofs.ok()) {
    return Status::Corruption("bundle: proofs", proofs.status().ToString());
  }
  ImportStats stats;
  stats.changes_in_bundle = bundle.changes.size();
  WEFT_ASSIGN_OR_RETURN(stats.stored, engine_->Writing([&] {
    return engine_->log().ReceiveAll(bundle.changes, *proofs, bundle.heads,
                                     progress);
  }));
  std::vector<ViewDefinition> existing = ListViews();
  for (const ViewDefinition& view : views) {
    auto same_name = std::find_if(
        existing.begin(), existing.end(),
        [&](const ViewDefinition& mine) { return mine.name == view.name; });
    if (same_name == existing.end()) {
      WEFT_RETURN_IF_ERROR(CreateView(view));
      stats.views_created.push_back(view.name);
    } else if (same_name->ToJson() != view.ToJson()) {
      stats.views_kept.push_back(view.name);
    }
  }
  return stats;
}

}  // namespace weft
