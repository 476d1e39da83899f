// Queries over a collection, served by an index view when one matches, else
// by a scan of the collection's documents. Either way each candidate
// document is loaded and checked against the whole predicate, so an index
// only narrows the candidates.
#include "engine/query/query.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "dag/change_codec.h"
#include "engine/crdt/path.h"
#include "engine/json/json_value.h"
#include "engine/views/field.h"
#include "engine/views/predicate.h"
#include "weft/json.h"

namespace weft::engine {
namespace {

using Kind = Predicate::Kind;

// The equality and range conditions of a predicate's top-level `and`.
struct Conditions {
  std::map<std::string, Scalar> equal;
  std::map<std::string, const Predicate*> range;
};

void Collect(const Predicate& predicate, Conditions* conditions) {
  switch (predicate.kind()) {
    case Kind::kEquals:
      conditions->equal.emplace(predicate.path(), predicate.value());
      break;
    case Kind::kRange:
      conditions->range.emplace(predicate.path(), &predicate);
      break;
    case Kind::kAnd:
      for (const Predicate& operand : predicate.operands()) {
        Collect(operand, conditions);
      }
      break;
    default:
      break;
  }
}

// A predicate from a caller: its paths parse, and its paths and strings
// are UTF-8 (what plans and errors print is JSON). Iterative: an `and`
// nested as deep as a caller likes costs no stack.
Status CheckPredicate(const Predicate& root) {
  std::vector<const Predicate*> pending = {&root};
  auto utf8 = [](const Scalar& scalar) {
    const auto* text = std::get_if<std::string>(&scalar);
    return text == nullptr || dag::IsValidUtf8(*text);
  };
  while (!pending.empty()) {
    const Predicate& predicate = *pending.back();
    pending.pop_back();
    if (predicate.kind() == Kind::kAll) continue;
    if (predicate.kind() == Kind::kAnd) {
      for (const Predicate& operand : predicate.operands()) {
        pending.push_back(&operand);
      }
      continue;
    }
    if (!dag::IsValidUtf8(predicate.path()) || !utf8(predicate.value()) ||
        !utf8(predicate.lower()) || !utf8(predicate.upper())) {
      return Status::InvalidArgument(
          "a predicate's paths and strings must be valid UTF-8");
    }
    WEFT_RETURN_IF_ERROR(ParsePath(predicate.path()).status());
  }
  return Status::OK();
}

std::string Encoded(const Scalar& scalar) {
  std::string out;
  EncodeField(FieldFromScalar(scalar), &out);
  return out;
}

// How a query runs.
struct Plan {
  QueryPlan summary;
  ViewDefinition index;    // when summary.uses_index
  std::string begin, end;  // the index rows to read: [begin, end)
};

Result<Plan> MakePlan(const ViewStore& views, std::string_view collection,
                      const Predicate& predicate, const FindOptions& options) {
  if (collection.empty() || collection.find('/') != std::string_view::npos) {
    return Status::InvalidArgument("not a collection name",
                                   std::string(collection));
  }
  WEFT_RETURN_IF_ERROR(CheckPredicate(predicate));
  if (!options.order_by.empty()) {
    WEFT_RETURN_IF_ERROR(ParsePath(options.order_by).status());
  } else if (options.descending) {
    return Status::InvalidArgument("descending order needs order_by");
  }
  Conditions conditions;
  Collect(predicate, &conditions);

  // The best index: most leading equalities, then a range on the next
  // field, then the order wanted.
  Plan plan;
  int best_score = 0;
  size_t best_equal = 0;
  bool best_range = false, best_orders = false;
  for (const ViewDefinition& definition : views.Definitions()) {
    if (definition.kind != ViewKind::kIndex ||
        definition.collection != collection ||
        views.IsBuilding(definition.name)) {
      continue;
    }
    const std::vector<std::string>& fields = definition.fields;
    size_t equal = 0;
    while (equal < fields.size() && conditions.equal.count(fields[equal])) {
      ++equal;
    }
    bool range = equal < fields.size() && conditions.range.count(fields[equal]);
    bool orders = !options.order_by.empty() && equal < fields.size() &&
                  fields[equal] == options.order_by;
    int score = 4 * static_cast<int>(equal) + 2 * range + orders;
    if (score > best_score) {
      best_score = score;
      plan.index = definition;
      best_equal = equal;
      best_range = range;
      best_orders = orders;
    }
  }

  QueryPlan& summary = plan.summary;
  std::string where = " of collection '" + std::string(collection) + "'";
  if (best_score == 0) {
    summary.description = "scan" + where + ", every document checked";
  } else {
    summary.uses_index = true;
    summary.index = plan.index.name;
    const std::vector<std::string>& fields = plan.index.fields;
    std::string prefix = ViewStore::IndexPrefix(plan.index.name);
    summary.description = "index '" + plan.index.name + "'" + where + ":";
    for (size_t idx = 0; idx < best_equal; ++idx) {
      const Scalar& value = conditions.equal.at(fields[idx]);
      prefix += Encoded(value);
      summary.description +=
          " " + fields[idx] + " = " + ScalarToJsonText(value) + ",";
    }
    plan.begin = prefix;
    plan.end = prefix + "\xff";
    if (best_range) {
      const Predicate& range = *conditions.range.at(fields[best_equal]);
      summary.description += " " + fields[best_equal] + " in range,";
      // Bounds keep to the bound's type (type bracketing); exclusive
      // bounds are left to the check of each document.
      if (range.has_lower()) {
        plan.begin = prefix + Encoded(range.lower());
        if (!range.has_upper()) {
          plan.end = prefix + static_cast<char>(plan.begin[prefix.size()] + 1);
        }
      }
      if (range.has_upper()) {
        std::string upper = Encoded(range.upper());
        plan.end = prefix + upper + (range.upper_inclusive() ? "\xff" : "");
        if (!range.has_lower()) plan.begin = prefix + upper.substr(0, 1);
      }
    }
    if (best_orders)
      summary.description += " ordered by " + options.order_by + ",";
    summary.description += " each document checked";
  }
  if (!options.order_by.empty() && !best_orders) {
    if (options.limit == 0) {
      return Status::InvalidArgument(
          "ordering by '" + options.order_by +
          "' needs an index on it or a limit (the top `limit` are kept)");
    }
    summary.sorts_in_memory = true;
    summary.description += "; top " + std::to_string(options.limit) + " by " +
                           options.order_by + " kept in memory";
  }
  return plan;
}

std::string Address(const DocRef& doc) {
  return doc.collection + "/" + doc.key;
}

// A candidate document, checked: `json` is set when it matches.
struct Checked {
  std::string doc;  // its address
  std::optional<std::string> json;
  FieldValue order;  // its value of order_by, when asked for
};

void Check(const DocRef& doc, const Document& document,
           const Predicate& predicate, const std::string& order_by,
           Checked* checked) {
  if (document.Exists() && Matches(predicate, document)) {
    checked->doc = Address(doc);
    checked->json = document.ToJson();
    if (!order_by.empty()) checked->order = FieldAt(document, order_by);
  }
}

// Where the candidate documents come from, checked against the predicate.
class Candidates {
 public:
  virtual ~Candidates() = default;
  // *found is false once there are no more.
  virtual Status Next(Checked* checked, bool* found) = 0;
};

// Reads the collection's states in steps of kScanStep documents, each step
// under the lock and as the documents are then: some histories are held in
// memory until written (DocStore), and an iterator kept across steps would
// miss a document written in between. Only matches are kept.
class ScanCandidates : public Candidates {
 public:
  ScanCandidates(QuerySources sources, std::string_view collection,
                 const Predicate& predicate, const std::string& order_by)
      : sources_(std::move(sources)),
        collection_(collection),
        predicate_(predicate),
        order_by_(order_by),
        next_(DocStore::CollectionStart(collection)) {}
  Status Next(Checked* checked, bool* found) override {
    while (matches_.empty() && !done_) WEFT_RETURN_IF_ERROR(ReadStep());
    *found = !matches_.empty();
    if (*found) {
      *checked = std::move(matches_.front());
      matches_.pop_front();
    }
    return Status::OK();
  }

 private:
  static constexpr size_t kScanStep = 512;

  Status ReadStep() {
    size_t read = 0;
    done_ = true;
    std::string last;  // DocKey of the last document read
    RootMapPeek peek;  // one for the step: its key table is reused
    Status status = sources_.locked([&] {
      return sources_.docs->ForEachState(
          [&](const DocRef& doc, std::string_view doc_key,
              DocStore::StateRef& state) {
            if (doc.collection != collection_) return false;
            if (read++ == kScanStep) {
              done_ = false;
              return false;
            }
            last.assign(doc_key);
            // Most documents of a scan do not match: a row is checked in
            // place, and decoded only when it matches (or cannot tell).
            if (!state.row().empty() && peek.Parse(state.row())) {
              std::optional<bool> matched = MatchesPeek(predicate_, peek);
              if ((matched && !*matched) || !peek.exists()) return true;
            }
            Result<const Document*> document = state.document();
            if (!document.ok()) return false;  // ForEachState says why
            Checked checked;
            Check(doc, **document, predicate_, order_by_, &checked);
            if (checked.json) matches_.push_back(std::move(checked));
            return true;
          },
          next_);
    });
    if (!last.empty()) next_ = DocStore::KeyAfter(last);
    return status;
  }

  const QuerySources sources_;
  const std::string collection_;
  const Predicate predicate_;
  const std::string order_by_;
  std::string next_;
  std::deque<Checked> matches_;
  bool done_ = false;
};

class IndexCandidates : public Candidates {
 public:
  IndexCandidates(QuerySources sources, const Plan& plan, bool descending,
                  const Predicate& predicate, const std::string& order_by)
      : sources_(std::move(sources)),
        it_(sources_.store->NewIterator(storage::Family::kViews)),
        plan_(plan),
        prefix_size_(ViewStore::IndexPrefix(plan.index.name).size()),
        descending_(descending),
        predicate_(predicate),
        order_by_(order_by) {}
  Status Next(Checked* checked, bool* found) override {
    if (!started_) {
      started_ = true;
      if (descending_) {
        it_->Seek(plan_.end);
        if (it_->Valid()) {
          it_->Prev();
        } else {
          it_->SeekToLast();
        }
      } else {
        it_->Seek(plan_.begin);
      }
    } else if (it_->Valid()) {
      descending_ ? it_->Prev() : it_->Next();
    }
    *found =
        it_->Valid() && it_->key() >= plan_.begin && it_->key() < plan_.end;
    if (!*found) return it_->status();
    DocRef doc;
    WEFT_RETURN_IF_ERROR(ViewStore::DocOfIndexRow(
        it_->key(), prefix_size_, plan_.index.fields.size(), &doc));
    *checked = Checked();
    return sources_.locked([&]() -> Status {
      WEFT_ASSIGN_OR_RETURN(Document * document, sources_.docs->Load(doc));
      Check(doc, *document, predicate_, order_by_, checked);
      return Status::OK();
    });
  }

 private:
  const QuerySources sources_;
  std::unique_ptr<storage::Iterator> it_;
  const Plan plan_;
  const size_t prefix_size_;
  const bool descending_;
  const Predicate predicate_;
  const std::string order_by_;
  bool started_ = false;
};

// Streams matching candidates in the order they come.
class StreamingCursor : public FindCursor {
 public:
  StreamingCursor(std::unique_ptr<Candidates> candidates, uint64_t limit)
      : candidates_(std::move(candidates)),
        remaining_(limit == 0 ? UINT64_MAX : limit) {
    Next();
  }
  bool Valid() const override { return valid_; }
  void Next() override {
    valid_ = false;
    while (remaining_ > 0 && status_.ok()) {
      Checked checked;
      bool found;
      status_ = candidates_->Next(&checked, &found);
      if (!status_.ok() || !found) return;
      if (checked.json) {
        doc_ = std::move(checked.doc);
        json_ = std::move(*checked.json);
        valid_ = true;
        --remaining_;
        return;
      }
    }
  }
  const std::string& doc() const override { return doc_; }
  const std::string& json() const override { return json_; }
  Status status() const override { return status_; }

 private:
  std::unique_ptr<Candidates> candidates_;
  uint64_t remaining_;
  bool valid_ = false;
  std::string doc_, json_;
  Status status_;
};

// The top `limit` matches by a field, kept in a bounded heap while every
// candidate is read: memory grows with the limit, not with the matches.
class SortedCursor : public FindCursor {
 public:
  struct Match {
    FieldValue order;
    std::string doc, json;
  };
  SortedCursor(Candidates* candidates, const FindOptions& options) {
    // Ties go by document, reversed when descending: the order an index
    // gives.
    bool descending = options.descending;
    auto before = [descending](const Match& a, const Match& b) {
      int order = CompareFields(a.order, b.order);
      if (order == 0) order = a.doc.compare(b.doc);
      return descending ? order > 0 : order < 0;
    };
    while (status_.ok()) {
      Checked checked;
      bool found;
      status_ = candidates->Next(&checked, &found);
      if (!status_.ok() || !found) break;
      if (!checked.json) continue;
      Match match;
      match.order = std::move(checked.order);
      match.doc = std::move(checked.doc);
      match.json = std::move(*checked.json);
      matches_.push_back(std::move(match));
      std::push_heap(matches_.begin(), matches_.end(), before);
      if (matches_.size() > options.limit) {
        std::pop_heap(matches_.begin(), matches_.end(), before);
        matches_.pop_back();
      }
    }
    std::sort_heap(matches_.begin(), matches_.end(), before);
  }
  bool Valid() const override {
    return status_.ok() && next_ < matches_.size();
  }
  void Next() override { ++next_; }
  const std::string& doc() const override { return matches_[next_].doc; }
  const std::string& json() const override { return matches_[next_].json; }
  Status status() const override { return status_; }

 private:
  std::vector<Match> matches_;
  size_t next_ = 0;
  Status status_;
};

// MakePlan under the lock (the view catalog is shared with writers).
Result<Plan> PlanLocked(const QuerySources& sources,
                        std::string_view collection, const Predicate& predicate,
                        const FindOptions& options) {
  std::optional<Plan> plan;
  WEFT_RETURN_IF_ERROR(sources.locked([&]() -> Status {
    WEFT_ASSIGN_OR_RETURN(
        Plan made, MakePlan(*sources.views, collection, predicate, options));
    plan = std::move(made);
    return Status::OK();
  }));
  return std::move(*plan);
}

}  // namespace

Result<QueryPlan> ExplainQuery(const QuerySources& sources,
                               std::string_view collection,
                               const Predicate& predicate,
                               const FindOptions& options) {
  WEFT_ASSIGN_OR_RETURN(Plan plan,
                        PlanLocked(sources, collection, predicate, options));
  return plan.summary;
}

Result<std::unique_ptr<FindCursor>> RunQuery(const QuerySources& sources,
                                             std::string_view collection,
                                             const Predicate& predicate,
                                             const FindOptions& options) {
  WEFT_ASSIGN_OR_RETURN(Plan plan,
                        PlanLocked(sources, collection, predicate, options));
  std::unique_ptr<Candidates> candidates;
  if (plan.summary.uses_index) {
    candidates = std::make_unique<IndexCandidates>(
        sources, plan, options.descending && !plan.summary.sorts_in_memory,
        predicate, options.order_by);
  } else {
    candidates = std::make_unique<ScanCandidates>(sources, collection,
                                                  predicate, options.order_by);
  }
  if (plan.summary.sorts_in_memory) {
    return std::unique_ptr<FindCursor>(
        new SortedCursor(candidates.get(), options));
  }
  return std::unique_ptr<FindCursor>(
      new StreamingCursor(std::move(candidates), options.limit));
}

}  // namespace weft::engine
