// Views and queries: the read side derived from the log (DESIGN.md §6).
//
// A view is declared once, built from the documents (which are derived from
// the log), then kept current in the same atomic write as every commit,
// local or remote. Its rows depend only on the merged documents, so
// replicas with equal heads have byte-identical views.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/change.h"
#include "weft/status.h"

namespace weft {

// The kinds of view, and each one's name ("index") as definitions spell it.
enum class ViewKind : uint8_t {
  kIndex,       // documents of a collection ordered by one or more fields
  kAggregate,   // count / sum / min / max of a field, grouped by another
  kProjection,  // the documents matching a predicate, chosen fields only
};
const char* ViewKindName(ViewKind kind);

// A condition on a document's fields. Paths are dotted ("address.city",
// "items.0"). Values compare by type first (null < false < true < numbers
// < strings < other), then by value; integers and floats compare as
// numbers. The JSON form, used by the shell and the bindings:
//   {"city": "Oslo"}                       equality
//   {"age": {"$gte": 18, "$lt": 65}}       range ($gt $gte $lt $lte)
//   {"email": {"$exists": true}}           presence (false: absence)
//   {"a": 1, "b": 2}  or  {"$and": [...]}  conjunction
//   {}                                     every document
class Predicate {
 public:
  enum class Kind : uint8_t { kAll, kEquals, kRange, kExists, kAnd };

  static Predicate All();
  static Predicate Equals(std::string path, Scalar value);
  // A bound is left open when its pointer is null.
  static Predicate Range(std::string path, const Scalar* lower,
                         bool lower_inclusive, const Scalar* upper,
                         bool upper_inclusive);
  static Predicate Exists(std::string path, bool exists = true);
  static Predicate And(std::vector<Predicate> operands);
  // InvalidArgument naming what is wrong for a malformed predicate.
  static Result<Predicate> FromJson(std::string_view json);
  std::string ToJson() const;

  // The parts of the condition; each holds for the kinds its comment names.
  Kind kind() const { return kind_; }
  const std::string& path() const { return path_; }
  const Scalar& value() const { return value_; }  // kEquals
  bool has_lower() const { return has_lower_; }
  bool has_upper() const { return has_upper_; }
  const Scalar& lower() const { return lower_; }
  const Scalar& upper() const { return upper_; }
  bool lower_inclusive() const { return lower_inclusive_; }
  bool upper_inclusive() const { return upper_inclusive_; }
  bool exists() const { return exists_; }  // kExists
  const std::vector<Predicate>& operands() const { return operands_; }

 private:
  Kind kind_ = Kind::kAll;
  std::string path_;
  Scalar value_;
  Scalar lower_, upper_;
  bool has_lower_ = false, has_upper_ = false;
  bool lower_inclusive_ = false, upper_inclusive_ = false;
  bool exists_ = true;
  std::vector<Predicate> operands_;
};

// What a view holds. Names: 1-64 of [A-Za-z0-9_-].
struct ViewDefinition {
  std::string name;
  ViewKind kind = ViewKind::kIndex;
  std::string collection;
  // kIndex: the fields, in key order (1-8). kProjection: the fields kept
  // (empty: the whole document).
  std::vector<std::string> fields;
  // kAggregate: the field aggregated and the one grouped by (empty: one
  // group). Documents without the field are not counted; a document
  // without the group field is in the `null` group.
  std::string aggregate_field;
  std::string group_by;
  // kProjection: which documents (All() by default).
  Predicate filter = Predicate::All();

  // The definition as JSON, and back (InvalidArgument when malformed).
  std::string ToJson() const;
  static Result<ViewDefinition> FromJson(std::string_view json);
};

// One row of a view, as ScanView gives it.
//   index:      doc, key = JSON array of the field values (missing: null)
//   aggregate:  key = the group's value, value = {"count","sum","min","max"}
//   projection: doc, value = JSON object of the kept fields
struct ViewRow {
  std::string doc;  // "collection/key"; empty for aggregates
  std::string key;
  std::string value;
};

// Progress of a view build, reported between chunks of work.
struct ViewBuildProgress {
  std::string view;
  uint64_t documents_done = 0;
  uint64_t documents_total = 0;  // documents ever written in the collection
};
using ViewProgressCallback = std::function<void(const ViewBuildProgress&)>;

// A view and how current it is (DatabaseStatus::views).
struct ViewStatus {
  ViewDefinition definition;
  bool building = false;        // false: current with the log
  uint64_t checkpoint = 0;      // the log position the rows reflect
  uint64_t lag = 0;             // log length - checkpoint
  uint64_t documents_done = 0;  // while building
};

// The order and number of Database::Find's results.
struct FindOptions {
  std::string order_by;  // a field path; empty: by document key
  bool descending = false;
  uint64_t limit = 0;  // 0: no limit
};

// How a query runs (Database::Explain).
struct QueryPlan {
  bool uses_index = false;
  std::string index;             // the view used, when uses_index
  bool sorts_in_memory = false;  // top-`limit` kept while scanning
  std::string description;       // one line for people
};

// The documents a query found, streamed: memory does not grow with the
// number of results. Each document is read when the cursor reaches it and
// checked against the predicate then.
class FindCursor {
 public:
  virtual ~FindCursor() = default;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual const std::string& doc() const = 0;   // "collection/key"
  virtual const std::string& json() const = 0;  // the document
  // Not OK if the query stopped on an error rather than at the end.
  virtual Status status() const = 0;
};

// What a subscription watches. kAllChanges: every change stored, local or
// remote, with no document states in its events (name unused); what live
// sync listens to.
struct SubscriptionTarget {
  enum class Kind : uint8_t { kDocument, kCollection, kView, kAllChanges };
  Kind kind = Kind::kDocument;
  std::string name;  // "collection/key", a collection, or a view name
};

// A committed change that touched what a subscription watches, delivered
// once the change is durable, in log order.
struct ChangeEvent {
  Hash hash;
  uint64_t position = 0;
  bool remote = false;  // received from another replica
  struct Touched {
    std::string doc;   // "collection/key"
    std::string json;  // the document right after the change; "null" once
                       // deleted
  };
  std::vector<Touched> documents;  // those the subscription watches
};
using ChangeCallback = std::function<void(const ChangeEvent&)>;

}  // namespace weft
