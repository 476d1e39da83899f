// Runs of changes (format: dag/FORMAT.md, "Runs").
//
//   run := "WFR1" ‖ varint change count ‖ digest (32) ‖ zstd frame(columns)
//
// `digest` is the SHA-256 of the run's change hashes, concatenated in
// order. The frame holds kColumns columns, each a varint length and its
// bytes: first the integer columns, each a sequence of (varint value,
// varint repeats - 1) pairs, then the byte columns. Every change and op
// takes its fields from the columns in the order EncodeRun writes them.
#include "dag/change_run.h"

#include <zstd.h>

#include <array>
#include <cstring>
#include <map>
#include <unordered_map>

#include "base/varint.h"
#include "dag/authorship.h"
#include "dag/sha256.h"

namespace weft::dag {
namespace {

constexpr std::string_view kMagic = "WFR1";

enum Column : size_t {
  // Integer columns.
  kAuthor,         // index into the actor dictionary
  kSeq,            // zigzag(seq - (the author's previous seq in the run + 1))
  kStartOp,        // zigzag(start_op - (the previous change's end_op + 1))
  kTime,           // zigzag(time_ms - the previous change's time_ms)
  kParentCount,    //
  kParentRef,      // k >= 1: the change k places back; 0: the next of kHashes
  kMessageLength,  // bytes of kStrings
  kDocCount,       //
  kDocIndex,       // index into the document dictionary
  kOpCount,        //
  kAction,         //
  kOpDoc,          //
  kObjCounter,     // 0: the root; else zigzag(counter - previous obj's) + 1
  kObjActor,       // (not for the root) index into the actor dictionary
  kKeyLength,      // bytes of kStrings
  kElemCounter,    // as kObjCounter, against the previous op's elem
  kElemActor,      //
  kKind,           // the scalar's kind: Null, Bool, Int, Double, String, Bytes
  kInt,            // zigzag of a Bool (0/1) or Int
  kValueLength,    // a String's or Bytes' length in kStrings
  kDelta,          // zigzag(delta)
  kCount,          //
  kTextLength,     // bytes of kStrings
  kPredCount,      //
  kPredCounter,    // the op's own counter - the predecessor's (>= 1)
  kPredActor,      //
  kFlavour,        //
  kIntColumns,
  // Byte columns.
  kActors = kIntColumns,  // the actor dictionary: 16 bytes each
  kDocs,     // the document dictionary: (varint length, collection, varint
             // length, key) each
  kHashes,   // parents outside the run: 32 bytes each
  kKeys,     // the author keys of changes with seq 1: 32 bytes each
  kStrings,  // messages, map keys, string and bytes values, texts
  kDoubles,  // Double values: 8 bytes each, little-endian IEEE 754
  kColumns,
};

uint64_t Zigzag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^
         static_cast<uint64_t>(value >> 63);
}

int64_t Unzigzag(uint64_t value) {
  return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
}

// Differences of counters below 2^62 never overflow an int64.
uint64_t Delta(uint64_t value, uint64_t from) {
  return Zigzag(static_cast<int64_t>(value - from));
}

class IntColumnWriter {
 public:
  void Add(uint64_t value) {
    if (repeats_ > 0 && value == value_) {
      ++repeats_;
      return;
    }
    Flush();
    value_ = value;
    repeats_ = 1;
  }
  std::string Finish() {
    Flush();
    return std::move(out_);
  }

 private:
  void Flush() {
    if (repeats_ == 0) return;
    PutVarint(&out_, value_);
    PutVarint(&out_, repeats_ - 1);
    repeats_ = 0;
  }
  std::string out_;
  uint64_t value_ = 0;
  uint64_t repeats_ = 0;
};

class ColumnsWriter {
 public:
  void Int(Column column, uint64_t value) { ints_[column].Add(value); }
  void Append(Column column, std::string_view bytes) {
    bytes_[column - kIntColumns].append(bytes);
  }
  void String(Column length_column, std::string_view bytes) {
    Int(length_column, bytes.size());
    Append(kStrings, bytes);
  }
  std::string Finish() {
    std::string out;
    for (IntColumnWriter& column : ints_) PutColumn(&out, column.Finish());
    for (const std::string& column : bytes_) PutColumn(&out, column);
    return out;
  }

 private:
  static void PutColumn(std::string* out, std::string_view column) {
    PutVarint(out, column.size());
    out->append(column);
  }
  std::array<IntColumnWriter, kIntColumns> ints_;
  std::array<std::string, kColumns - kIntColumns> bytes_;
};

// Reads the columns back. A read past a column's end marks the reader
// failed and returns zeros; callers check failed() before using a value
// as a size, and at the end of each change.
class ColumnsReader {
 public:
  bool Parse(std::string_view body) {
    for (size_t column = 0; column < kColumns; ++column) {
      uint64_t length;
      if (!GetVarint(&body, &length) || length > body.size()) return false;
      columns_[column] = body.substr(0, length);
      body.remove_prefix(length);
    }
    return body.empty();
  }
  uint64_t Int(Column column) {
    IntState& state = ints_[column];
    if (state.left == 0) {
      uint64_t repeats;
      if (!GetVarint(&columns_[column], &state.value) ||
          !GetVarint(&columns_[column], &repeats) || repeats == UINT64_MAX) {
        return Fail(column);
      }
      state.left = repeats + 1;
    }
    --state.left;
    return state.value;
  }
  std::string_view Take(Column column, uint64_t size) {
    std::string_view& rest = columns_[column];
    if (size > rest.size()) {
      Fail(column);
      return {};
    }
    std::string_view taken = rest.substr(0, size);
    rest.remove_prefix(size);
    return taken;
  }
  std::string_view TakeAll(Column column) {
    return Take(column, columns_[column].size());
  }
  std::string_view String(Column length_column) {
    uint64_t size = Int(length_column);
    return failed_ ? std::string_view() : Take(kStrings, size);
  }
  bool failed() const { return failed_; }
  // True when every column has been read to its end.
  bool AllRead() const {
    for (size_t column = 0; column < kColumns; ++column) {
      if (!columns_[column].empty()) return false;
      if (column < kIntColumns && ints_[column].left != 0) return false;
    }
    return true;
  }

 private:
  struct IntState {
    uint64_t value = 0;
    uint64_t left = 0;
  };
  uint64_t Fail(Column) {
    failed_ = true;
    return 0;
  }
  std::array<std::string_view, kColumns> columns_;
  std::array<IntState, kIntColumns> ints_;
  bool failed_ = false;
};

// The run's dictionaries, as EncodeRun fills them.
class Dictionaries {
 public:
  uint32_t Actor(const ActorId& actor, ColumnsWriter* out) {
    auto [found, added] = actors_.emplace(actor, actors_.size());
    if (added) out->Append(kActors, actor.AsStringView());
    return found->second;
  }
  uint32_t Doc(const DocRef& doc, ColumnsWriter* out) {
    std::string name = doc.collection;
    name.push_back('\0');
    name += doc.key;
    auto [found, added] = docs_.emplace(std::move(name), docs_.size());
    if (added) {
      std::string entry;
      PutVarint(&entry, doc.collection.size());
      entry += doc.collection;
      PutVarint(&entry, doc.key.size());
      entry += doc.key;
      out->Append(kDocs, entry);
    }
    return found->second;
  }

 private:
  std::map<ActorId, uint32_t> actors_;
  std::unordered_map<std::string, uint32_t> docs_;
};

// Writes an op id relative to `*previous` (see kObjCounter).
void PutRef(const OpId& id, Column counter_column, Column actor_column,
            uint64_t* previous, Dictionaries* dictionaries,
            ColumnsWriter* out) {
  if (id.IsRoot()) {
    out->Int(counter_column, 0);
    return;
  }
  out->Int(counter_column, Delta(id.counter, *previous) + 1);
  out->Int(actor_column, dictionaries->Actor(id.actor, out));
  *previous = id.counter;
}

void PutOp(const Op& op, uint64_t own_counter, uint64_t* previous_obj,
           uint64_t* previous_elem, Dictionaries* dictionaries,
           ColumnsWriter* out) {
  out->Int(kAction, static_cast<uint64_t>(op.action));
  out->Int(kOpDoc, op.doc);
  PutRef(op.obj, kObjCounter, kObjActor, previous_obj, dictionaries, out);
  out->String(kKeyLength, op.key);
  PutRef(op.elem, kElemCounter, kElemActor, previous_elem, dictionaries, out);
  out->Int(kKind, op.value.index());
  if (const bool* flag = std::get_if<bool>(&op.value)) out->Int(kInt, *flag);
  if (const int64_t* number = std::get_if<int64_t>(&op.value)) {
    out->Int(kInt, Zigzag(*number));
  }
  if (const double* real = std::get_if<double>(&op.value)) {
    uint64_t bits;
    std::memcpy(&bits, real, sizeof(bits));
    char raw[8];
    for (int byte = 0; byte < 8; ++byte) raw[byte] = char(bits >> (8 * byte));
    out->Append(kDoubles, std::string_view(raw, sizeof(raw)));
  }
  if (const std::string* text = std::get_if<std::string>(&op.value)) {
    out->String(kValueLength, *text);
  }
  if (const Bytes* blob = std::get_if<Bytes>(&op.value)) {
    out->String(kValueLength, blob->data);
  }
  out->Int(kDelta, Zigzag(op.delta));
  out->Int(kCount, op.count);
  out->String(kTextLength, op.text);
  out->Int(kPredCount, op.pred.size());
  for (const OpId& pred : op.pred) {
    out->Int(kPredCounter, own_counter - pred.counter);
    out->Int(kPredActor, dictionaries->Actor(pred.actor, out));
  }
  out->Int(kFlavour, static_cast<uint64_t>(op.flavour));
}

// What DecodeRun knows while it rebuilds a run: the dictionaries it read
// and the previous values the columns are relative to.
struct RunState {
  std::vector<ActorId> actors;
  std::vector<DocRef> docs;
  std::map<ActorId, uint64_t> last_seq;
  uint64_t end_op = 0;
  int64_t time_ms = 0;
  uint64_t obj = 0;
  uint64_t elem = 0;
  size_t ops = 0;
};

Status ReadDictionaries(std::string_view actors, std::string_view docs,
                        RunState* state) {
  if (actors.size() % ActorId::kSize != 0) {
    return Status::Corruption("run: the actor dictionary is cut");
  }
  for (size_t at = 0; at < actors.size(); at += ActorId::kSize) {
    state->actors.push_back(ActorId::FromBytes(actors.substr(at, 16)));
  }
  while (!docs.empty()) {
    DocRef doc;
    for (std::string* name : {&doc.collection, &doc.key}) {
      uint64_t size;
      if (!GetVarint(&docs, &size) || size > docs.size()) {
        return Status::Corruption("run: the document dictionary is cut");
      }
      name->assign(docs.substr(0, size));
      docs.remove_prefix(size);
    }
    state->docs.push_back(std::move(doc));
  }
  return Status::OK();
}

// Reads an op id written by PutRef; false if it names no actor.
bool GetRef(ColumnsReader* in, Column counter_column, Column actor_column,
            const RunState& state, uint64_t* previous, OpId* id) {
  uint64_t code = in->Int(counter_column);
  if (code == 0) {
    *id = OpId();
    return true;
  }
  id->counter = *previous + static_cast<uint64_t>(Unzigzag(code - 1));
  uint64_t actor = in->Int(actor_column);
  if (actor >= state.actors.size()) return false;
  id->actor = state.actors[actor];
  *previous = id->counter;
  return true;
}

Status GetOp(ColumnsReader* in, RunState* state, uint64_t own_counter, Op* op) {
  uint64_t action = in->Int(kAction);
  if (action > kOpActionMax) return Status::Corruption("run: unknown action");
  op->action = static_cast<OpAction>(action);
  uint64_t doc = in->Int(kOpDoc);
  if (doc > UINT32_MAX) return Status::Corruption("run: op document index");
  op->doc = static_cast<uint32_t>(doc);
  bool obj_named =
      GetRef(in, kObjCounter, kObjActor, *state, &state->obj, &op->obj);
  op->key = in->String(kKeyLength);
  bool elem_named =
      GetRef(in, kElemCounter, kElemActor, *state, &state->elem, &op->elem);
  if (!obj_named || !elem_named) {
    return Status::Corruption("run: an op id names no actor of the run");
  }
  switch (in->Int(kKind)) {
    case 0:
      op->value = std::monostate();
      break;
    case 1: {
      uint64_t flag = in->Int(kInt);
      if (flag > 1) return Status::Corruption("run: a bool is neither 0 nor 1");
      op->value = flag == 1;
      break;
    }
    case 2:
      op->value = Unzigzag(in->Int(kInt));
      break;
    case 3: {
      std::string_view raw = in->Take(kDoubles, 8);
      uint64_t bits = 0;
      for (size_t byte = 0; byte < raw.size(); ++byte) {
        bits |= uint64_t{static_cast<uint8_t>(raw[byte])} << (8 * byte);
      }
      double real;
      std::memcpy(&real, &bits, sizeof(real));
      op->value = real;
      break;
    }
    case 4:
      op->value = std::string(in->String(kValueLength));
      break;
    case 5:
      op->value = Bytes{std::string(in->String(kValueLength))};
      break;
    default:
      return Status::Corruption("run: unknown scalar kind");
  }
  op->delta = Unzigzag(in->Int(kDelta));
  uint64_t count = in->Int(kCount);
  if (count > UINT32_MAX) return Status::Corruption("run: op count");
  op->count = static_cast<uint32_t>(count);
  op->text = in->String(kTextLength);
  uint64_t preds = in->Int(kPredCount);
  if (preds > limits::kPredCountMax) {
    return Status::InvalidArgument("run: an op supersedes too many ops");
  }
  op->pred.resize(preds);
  for (OpId& pred : op->pred) {
    uint64_t back = in->Int(kPredCounter);
    uint64_t actor = in->Int(kPredActor);
    if (back == 0 || back >= own_counter || actor >= state->actors.size()) {
      return Status::Corruption("run: a predecessor out of range");
    }
    pred.counter = own_counter - back;
    pred.actor = state->actors[actor];
  }
  uint64_t flavour = in->Int(kFlavour);
  if (flavour > kFlavourMax) return Status::Corruption("run: unknown flavour");
  op->flavour = static_cast<Flavour>(flavour);
  return Status::OK();
}

// Rebuilds the fields of the run's change number `index`.
Status GetChange(ColumnsReader* in, RunState* state, size_t index,
                 const std::vector<RunChange>& done, const RunLimits& limits,
                 Change* change) {
  uint64_t author = in->Int(kAuthor);
  if (author >= state->actors.size()) {
    return Status::Corruption("run: an author outside the dictionary");
  }
  change->actor = state->actors[author];
  uint64_t& last_seq = state->last_seq[change->actor];
  change->seq = last_seq + 1 + Unzigzag(in->Int(kSeq));
  last_seq = change->seq;
  change->start_op = state->end_op + 1 + Unzigzag(in->Int(kStartOp));
  change->time_ms = static_cast<int64_t>(static_cast<uint64_t>(state->time_ms) +
                                         Unzigzag(in->Int(kTime)));
  state->time_ms = change->time_ms;

  uint64_t parents = in->Int(kParentCount);
  if (parents > limits::kParentsCountMax) {
    return Status::InvalidArgument("run: a change has over 1024 parents");
  }
  change->parents.resize(parents);
  for (Hash& parent : change->parents) {
    uint64_t back = in->Int(kParentRef);
    if (back > index) return Status::Corruption("run: a parent before the run");
    if (back == 0) {
      std::string_view raw = in->Take(kHashes, Hash::kSize);
      if (in->failed()) return Status::Corruption("run: parent hashes cut");
      parent = Hash::FromBytes(raw);
    } else {
      parent = done[index - back].hash;
    }
  }
  change->message = in->String(kMessageLength);
  if (change->seq == 1) change->author_key = in->Take(kKeys, kAuthorKeySize);

  uint64_t docs = in->Int(kDocCount);
  if (docs > limits::kDocsCountMax) {
    return Status::InvalidArgument("run: a change names too many documents");
  }
  change->docs.resize(docs);
  for (DocRef& doc : change->docs) {
    uint64_t doc_index = in->Int(kDocIndex);
    if (doc_index >= state->docs.size()) {
      return Status::Corruption("run: a document outside the dictionary");
    }
    doc = state->docs[doc_index];
  }
  uint64_t ops = in->Int(kOpCount);
  if (in->failed()) return Status::Corruption("run: a column is cut");
  if (ops > limits.ops_max - state->ops) {
    return Status::InvalidArgument("run: over its limit of ops");
  }
  state->ops += ops;
  change->ops.resize(ops);
  uint64_t counter = change->start_op;
  for (Op& op : change->ops) {
    WEFT_RETURN_IF_ERROR(GetOp(in, state, counter, &op));
    if (in->failed()) return Status::Corruption("run: a column is cut");
    counter += OpWidth(op);
  }
  state->end_op = counter - 1;
  return Status::OK();
}

}  // namespace

namespace {

// Packs `count` changes, change(i) and hash(i) giving the i-th (so that
// callers holding either form pack without copying the changes).
template <typename ChangeAt, typename HashAt>
std::string Pack(size_t count, ChangeAt change_at, HashAt hash_at) {
  ColumnsWriter out;
  Dictionaries dictionaries;
  std::unordered_map<Hash, size_t, HashHasher> positions;
  std::map<ActorId, uint64_t> last_seq;
  uint64_t end_op = 0;
  int64_t time_ms = 0;
  uint64_t previous_obj = 0;
  uint64_t previous_elem = 0;
  Sha256Stream digest;
  for (size_t index = 0; index < count; ++index) {
    const Change& change = change_at(index);
    const Hash& hash = hash_at(index);
    out.Int(kAuthor, dictionaries.Actor(change.actor, &out));
    uint64_t& seq = last_seq[change.actor];
    out.Int(kSeq, Delta(change.seq, seq + 1));
    seq = change.seq;
    out.Int(kStartOp, Delta(change.start_op, end_op + 1));
    out.Int(kTime,
            Zigzag(static_cast<int64_t>(static_cast<uint64_t>(change.time_ms) -
                                        static_cast<uint64_t>(time_ms))));
    time_ms = change.time_ms;
    out.Int(kParentCount, change.parents.size());
    for (const Hash& parent : change.parents) {
      auto found = positions.find(parent);
      if (found == positions.end()) {
        out.Int(kParentRef, 0);
        out.Append(kHashes, parent.AsStringView());
      } else {
        out.Int(kParentRef, index - found->second);
      }
    }
    out.String(kMessageLength, change.message);
    if (change.seq == 1) out.Append(kKeys, change.author_key);
    out.Int(kDocCount, change.docs.size());
    for (const DocRef& doc : change.docs) {
      out.Int(kDocIndex, dictionaries.Doc(doc, &out));
    }
    out.Int(kOpCount, change.ops.size());
    uint64_t counter = change.start_op;
    for (const Op& op : change.ops) {
      PutOp(op, counter, &previous_obj, &previous_elem, &dictionaries, &out);
      counter += OpWidth(op);
    }
    end_op = counter - 1;
    positions[hash] = index;
    digest.Update(hash.AsStringView());
  }

  std::string columns = out.Finish();
  std::string run(kMagic);
  PutVarint(&run, count);
  run += digest.Finish().AsStringView();
  size_t header = run.size();
  run.resize(header + ZSTD_compressBound(columns.size()));
  size_t size = ZSTD_compress(run.data() + header, run.size() - header,
                              columns.data(), columns.size(),
                              /*compressionLevel=*/3);
  run.resize(header + (ZSTD_isError(size) ? 0 : size));
  return run;
}

}  // namespace

std::string EncodeRun(const std::vector<Change>& changes,
                      const std::vector<Hash>& hashes) {
  return Pack(
      changes.size(),
      [&](size_t index) -> const Change& { return changes[index]; },
      [&](size_t index) -> const Hash& { return hashes[index]; });
}

Result<RunChange> RunChangeOf(std::string bytes, size_t change_bytes_max) {
  RunChange entry;
  WEFT_ASSIGN_OR_RETURN(entry.change,
                        DecodeCanonicalChange(bytes, change_bytes_max));
  entry.hash = Sha256(bytes);
  entry.bytes = std::move(bytes);
  return entry;
}

Result<std::string> EncodeRunOfBytes(const std::vector<std::string>& changes) {
  std::vector<Change> decoded;
  std::vector<Hash> hashes;
  decoded.reserve(changes.size());
  hashes.reserve(changes.size());
  for (const std::string& bytes : changes) {
    WEFT_ASSIGN_OR_RETURN(RunChange entry, RunChangeOf(bytes));
    hashes.push_back(entry.hash);
    decoded.push_back(std::move(entry.change));
  }
  return EncodeRun(decoded, hashes);
}

std::string EncodeRunOf(const std::vector<RunChange>& changes) {
  return Pack(
      changes.size(),
      [&](size_t index) -> const Change& { return changes[index].change; },
      [&](size_t index) -> const Hash& { return changes[index].hash; });
}

std::string EncodeRunOf(const std::vector<const RunChange*>& changes) {
  return Pack(
      changes.size(),
      [&](size_t index) -> const Change& { return changes[index]->change; },
      [&](size_t index) -> const Hash& { return changes[index]->hash; });
}

namespace {

// The header of a run: its change count and digest, and the frame after.
Status ParseHeader(std::string_view run, uint64_t* count, Hash* digest,
                   std::string_view* frame) {
  if (run.substr(0, kMagic.size()) != kMagic) {
    return Status::Corruption("not a run of changes (bad magic)");
  }
  run.remove_prefix(kMagic.size());
  if (!GetVarint(&run, count) || *count == 0 || run.size() < Hash::kSize) {
    return Status::Corruption("run: header cut or empty");
  }
  *digest = Hash::FromBytes(run.substr(0, Hash::kSize));
  *frame = run.substr(Hash::kSize);
  return Status::OK();
}

}  // namespace

Result<size_t> PeekRunCount(std::string_view run) {
  uint64_t count;
  Hash digest;
  std::string_view frame;
  WEFT_RETURN_IF_ERROR(ParseHeader(run, &count, &digest, &frame));
  return count;
}

Result<std::vector<RunChange>> DecodeRun(std::string_view run,
                                         const RunLimits& limits) {
  uint64_t count;
  Hash digest;
  std::string_view frame;
  WEFT_RETURN_IF_ERROR(ParseHeader(run, &count, &digest, &frame));
  if (count > limits.changes_max) {
    return Status::InvalidArgument("run of " + std::to_string(count) +
                                   " changes, over the limit of " +
                                   std::to_string(limits.changes_max));
  }
  // The frame must say how big it is, within the limit, before anything is
  // allocated: a few bytes of zstd can claim gigabytes.
  unsigned long long size =
      ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Corruption("run: not a zstd frame of a known size");
  }
  if (size > limits.columns_bytes_max) {
    return Status::InvalidArgument("run: its columns would take " +
                                   std::to_string(size) + " bytes, over " +
                                   std::to_string(limits.columns_bytes_max));
  }
  std::string body(size, '\0');
  size_t got =
      ZSTD_decompress(body.data(), body.size(), frame.data(), frame.size());
  if (ZSTD_isError(got) || got != size) {
    return Status::Corruption("run: damaged zstd frame");
  }
  ColumnsReader in;
  if (!in.Parse(body)) return Status::Corruption("run: malformed columns");
  RunState state;
  WEFT_RETURN_IF_ERROR(
      ReadDictionaries(in.TakeAll(kActors), in.TakeAll(kDocs), &state));
  std::vector<RunChange> changes;
  changes.reserve(count);
  size_t total_bytes = 0;
  Sha256Stream rebuilt_digest;
  for (size_t index = 0; index < count; ++index) {
    RunChange entry;
    std::string at = "run: change " + std::to_string(index + 1) + " of " +
                     std::to_string(count);
    Status status =
        GetChange(&in, &state, index, changes, limits, &entry.change);
    if (status.ok()) status = ValidateChange(entry.change);
    if (!status.ok()) {
      return status.IsInvalidArgument()
                 ? Status::InvalidArgument(at, status.message())
                 : Status::Corruption(at, status.message());
    }
    EncodedChange encoded = EncodeChange(entry.change);
    total_bytes += encoded.bytes.size();
    if (encoded.bytes.size() > limits.change_bytes_max ||
        total_bytes > limits.bytes_max) {
      return Status::InvalidArgument(at, "over the size limit once rebuilt");
    }
    entry.hash = encoded.hash;
    entry.bytes = std::move(encoded.bytes);
    rebuilt_digest.Update(entry.hash.AsStringView());
    changes.push_back(std::move(entry));
  }
  if (!in.AllRead()) {
    return Status::Corruption("run: holds more than its changes");
  }
  if (rebuilt_digest.Finish() != digest) {
    return Status::Corruption(
        "run: the rebuilt changes do not hash to the run's digest");
  }
  return changes;
}

}  // namespace weft::dag
