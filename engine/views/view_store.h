// ViewStore: declared views (the `views` family), built from the documents
// and then kept current in the same batch as each change (DESIGN.md §6).
//
// Why views derive from documents, not from changes: replicas apply
// changes in different orders, but the merged document state is the same,
// so a view row computed from (document after the batch) is the same on
// every replica with equal heads, whatever the order. Each document's
// current row is remembered (a reverse entry), so an update deletes
// exactly the row it replaces. Layout in engine/FORMAT.md.
#pragma once

#include <map>
#include <string>

#include "engine/log/change_observer.h"
#include "engine/state/doc_store.h"
#include "storage/kv_store.h"
#include "weft/view.h"

namespace weft::engine {

class ViewStore : public ChangeObserver {
 public:
  ViewStore(storage::KvStore* store, DocStore* docs, bool sync)
      : store_(store), docs_(docs), sync_(sync) {}

  // Reads the definitions and build states. Every method below REQUIRES
  // the database's write lock.
  Status Load();

  // Persists a new view, empty and building. AlreadyExists if the name is
  // taken; InvalidArgument for a malformed definition.
  Status Declare(const ViewDefinition& definition, uint64_t log_length);
  // Builds the next `max_documents` documents of a building view, in one
  // write with its new checkpoint. Sets *done once the view is complete.
  Status BuildStep(const std::string& name, size_t max_documents,
                   uint64_t log_length, bool* done,
                   ViewBuildProgress* progress);
  // Deletes every row and starts the build again.
  Status Reset(const std::string& name, uint64_t log_length);
  Status Drop(const std::string& name);

  // Recomputes the rows of built view `name` from its documents' current
  // states and compares them with the stored rows (each document's row,
  // index and number rows, group totals, and that no other row is there);
  // adds what differs to *problems and counts the rows in *rows_checked.
  // A view still building is incomplete by design and not checked.
  Status VerifyRows(const std::string& name, uint64_t* rows_checked,
                    std::vector<std::string>* problems);

  std::vector<std::string> BuildingViews() const;
  std::vector<ViewDefinition> Definitions() const;
  // NotFound if there is no such view.
  Result<ViewStatus> GetStatus(const std::string& name,
                               uint64_t log_length) const;
  Result<const ViewDefinition*> Find(const std::string& name) const;
  bool IsBuilding(const std::string& name) const;

  // These two read the store only: they need no lock. Rows of a view that
  // is still building are incomplete.
  Status ScanRows(const ViewDefinition& definition,
                  const std::function<bool(const ViewRow&)>& visit) const;
  Result<Hash> DigestRows(const std::string& name) const;

  // Index rows, for queries: every row of index `name` lies in
  // [IndexPrefix(name), IndexPrefix(name) + "\xff"); after the prefix come
  // the encoded fields, then the document's DocKey.
  static std::string IndexPrefix(const std::string& name);
  // The document of an index row of an index on `field_count` fields.
  static Status DocOfIndexRow(std::string_view key, size_t prefix_size,
                              size_t field_count, DocRef* doc);

  Status OnStage(const Hash&, std::string_view, const Change&, uint64_t, bool,
                 storage::WriteBatch*) override {
    return Status::OK();
  }
  Status OnBatchStaged(storage::WriteBatch* writes) override;
  void OnAbort() override {}
  void OnWritten() override {}

 private:
  struct View {
    ViewDefinition definition;
    bool building = false;
    std::string cursor;  // building: the DocKey of the last document built
    uint64_t documents_done = 0;
    uint64_t checkpoint = 0;  // building: log length at the last step
  };
  // What a document contributes to a view (see FORMAT.md for the bytes).
  struct Row {
    bool present = false;
    std::string sort;   // index: encoded fields; aggregate: encoded group
    std::string value;  // index: fields JSON; projection: the JSON kept;
                        // aggregate: the number's JSON ("" if not a number)
    std::string group;  // aggregate: the group's JSON
    bool operator==(const Row&) const = default;
  };
  // An aggregate's group row, changed in memory until the write.
  struct Group {
    uint64_t count = 0;
    uint64_t non_integers = 0;
    __int128 integer_sum = 0;
    std::string json;
    bool operator==(const Group&) const = default;
  };
  using Groups = std::map<std::string, Group>;  // by row key

  Row ComputeRow(const View& view, const Document* document) const;
  Status ReadRow(const View& view, const std::string& doc_key, Row* row) const;
  Status LoadGroup(const std::string& key, Groups* groups, Group** group) const;
  // Writes the document's new row in place of its old one.
  // `unbuilt`: the document has no row yet (a build reaching it: rows
  // after a build's cursor are never written), so none is read.
  Status UpdateDocument(const View& view, const std::string& doc_key,
                        const Document* document, Groups* groups,
                        storage::WriteBatch* writes, bool unbuilt = false);
  static void WriteGroups(const Groups& groups, storage::WriteBatch* writes);
  void PutBuildState(const View& view, storage::WriteBatch* writes) const;
  void DeleteRows(const std::string& name, storage::WriteBatch* writes) const;
  // How many rows of `kind` view `name` has.
  Result<uint64_t> CountRows(char kind, const std::string& name) const;
  // Adds a problem unless the row at `key` holds `value`.
  Status ExpectRow(const std::string& key, const std::string& value,
                   const std::string& what,
                   std::vector<std::string>* problems) const;
  Status ScanAggregate(const std::string& name,
                       const std::function<bool(const ViewRow&)>& visit) const;
  Result<const View*> FindView(const std::string& name) const;

  storage::KvStore* const store_;
  DocStore* const docs_;
  const bool sync_;
  std::map<std::string, View> views_;  // by name
};

}  // namespace weft::engine
