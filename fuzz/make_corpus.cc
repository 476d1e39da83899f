// Writes the seed corpus of every fuzz target: valid inputs made by the
// real code (changes, batches, bundles, document states, a recorded sync
// session, view definitions, JSON, shell lines), one file each.
//
//   make_corpus OUT_DIR     (OUT_DIR/<target>/seed-<n>)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dag/change_run.h"
#include "engine/bundle/bundle.h"
#include "engine/log/keys.h"
#include "engine/log/log_index.h"
#include "engine/views/field.h"
#include "tests/testutil/temp_dir.h"
#include "tls/identity.h"
#include "tls/tls_channel.h"
#include "weft/database.h"

namespace {

namespace fs = std::filesystem;
using weft::Database;

class Seeds {
 public:
  Seeds(const fs::path& root, const std::string& target) : dir_(root / target) {
    fs::create_directories(dir_);
  }
  void Add(const std::string& bytes) {
    std::ofstream(dir_ / ("seed-" + std::to_string(count_++)), std::ios::binary)
        << bytes;
  }

 private:
  fs::path dir_;
  int count_ = 0;
};

void Check(const weft::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "make_corpus: %s\n", status.ToString().c_str());
    std::exit(1);
  }
}

std::unique_ptr<Database> OpenAt(const fs::path& path) {
  auto db = Database::Open(path.string(), weft::Options());
  Check(db.status());
  return std::move(db).value();
}

// Edits of every kind on a few documents.
void Edit(Database* db, const std::string& tag) {
  for (int doc = 0; doc < 3; ++doc) {
    auto txn = db->Begin();
    std::string name = "todos/" + tag + std::to_string(doc);
    Check(txn->PutJson(name, R"({"title": "buy milk", "n": 2, "done": false,
                                "address": {"city": "Oslo"}})")
              .status());
    Check(txn->Increment(name, "votes", 3).status());
    Check(txn->SetAdd(name, "tags", std::string("home")).status());
    Check(txn->ListInsert(name, "steps", 0, std::string("go")).status());
    Check(txn->SpliceText(name, "note", 0, 0, "oat milk ✓").status());
    Check(txn->Commit().status());
  }
}

// Chunks for the session target: a length byte, then up to 255 bytes.
std::string Chunked(const std::vector<std::string>& messages) {
  std::string out;
  for (const std::string& message : messages) {
    for (size_t at = 0; at < message.size(); at += 255) {
      std::string piece = message.substr(at, 255);
      out.push_back(static_cast<char>(piece.size()));
      out += piece;
    }
  }
  return out;
}

// Runs a real session between two replicas; returns what each side
// received, in order.
void RecordSession(Database* a, Database* b, const weft::SyncOptions& options,
                   std::vector<std::string>* to_a,
                   std::vector<std::string>* to_b) {
  auto end_a = a->NewSyncEndpoint(true, options);
  auto end_b = b->NewSyncEndpoint(false, options);
  Check(end_a.status());
  Check(end_b.status());
  for (int round = 0; round < 100; ++round) {
    std::string for_b = (*end_a)->TakeOutput(), for_a = (*end_b)->TakeOutput();
    if (for_a.empty() && for_b.empty()) break;
    if (!for_b.empty()) {
      to_b->push_back(for_b);
      (*end_b)->Receive(for_b).PermitUncheckedError();
    }
    if (!for_a.empty()) {
      to_a->push_back(for_a);
      (*end_a)->Receive(for_a).PermitUncheckedError();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus OUT_DIR\n");
    return 2;
  }
  fs::path out = argv[1];
  weft::testing::TempDir dir;
  fs::path scratch = dir.path();
  {
    auto a = OpenAt(scratch / "a");
    auto b = OpenAt(scratch / "b");
    Edit(a.get(), "a");
    Edit(b.get(), "b");
    auto view = weft::ViewDefinition::FromJson(
        R"({"name": "by_n", "kind": "index", "collection": "todos",
            "fields": ["n", "address.city"]})");
    Check(view.status());
    Check(a->CreateView(*view));

    std::vector<std::string> changes;
    for (uint64_t position = 1; position <= a->LogLength(); ++position) {
      changes.push_back(a->GetChangeAt(position)->bytes);
    }
    Seeds change(out, "fuzz_change"), run(out, "fuzz_change_run"),
        bundle(out, "fuzz_bundle"), state(out, "fuzz_document_state"),
        view_json(out, "fuzz_view_json"), session(out, "fuzz_sync_session"),
        json_input(out, "fuzz_json_input"), shell(out, "fuzz_shell"),
        view_rows(out, "fuzz_view_rows"), proofs(out, "fuzz_proofs"),
        log_index(out, "fuzz_log_index");
    for (const std::string& bytes : changes) change.Add(bytes);
    for (uint64_t position = 1; position <= 3; ++position) {
      proofs.Add(*a->ProveChange(a->GetChangeAt(position)->hash));
    }
    for (size_t count : {size_t{1}, changes.size()}) {
      std::vector<std::string> some(changes.begin(), changes.begin() + count);
      run.Add(*weft::dag::EncodeRunOfBytes(some));
    }
    std::vector<weft::dag::RunChange> decoded;
    for (const std::string& bytes : changes) {
      decoded.push_back(*weft::dag::RunChangeOf(bytes));
    }
    std::string bucket;
    for (size_t idx = 0; idx < decoded.size(); ++idx) {
      weft::engine::AppendIndexRecord(&bucket, decoded[idx].hash, idx + 1,
                                      idx + 1);
    }
    log_index.Add(bucket);
    log_index.Add(weft::engine::EncodeSeqKey(decoded[0].change.actor, 1) +
                  weft::engine::EncodeSeqRange({1, 1, decoded.size()}));
    weft::engine::Bundle whole{decoded, a->Heads(), {view->ToJson()}};
    bundle.Add(weft::engine::EncodeBundle(whole));
    bundle.Add(weft::engine::EncodeBundle(weft::engine::Bundle()));
    for (int doc = 0; doc < 3; ++doc) {
      state.Add(*a->EncodedState("todos/a" + std::to_string(doc)));
    }

    view_json.Add(std::string(1, '\0') + view->ToJson());
    view_json.Add(
        std::string(1, '\0') +
        R"({"name": "totals", "kind": "aggregate", "collection": "todos",
            "aggregate": "sum", "aggregate_field": "n", "group_by": "done"})");
    view_json.Add(std::string(1, '\1') +
                  R"({"address.city": "Oslo", "n": {"$gte": 1, "$lt": 9},
                      "done": {"$exists": true}})");
    view_json.Add(std::string(1, '\2') + R"({"$bytes": "01ff"})");
    std::string fields = "\3";
    weft::engine::EncodeField(weft::engine::FieldFromJson("2.5"), &fields);
    weft::engine::EncodeField(weft::engine::FieldFromJson("\"Oslo\""), &fields);
    view_json.Add(fields);

    // fuzz_view_rows: [kind][view][tail size][tail][value size u16][value].
    auto row = [](char kind, char view, std::string_view tail,
                  std::string_view value) {
      std::string record = {kind, view, static_cast<char>(tail.size())};
      record.append(tail);
      record.push_back(static_cast<char>(value.size() >> 8));
      record.push_back(static_cast<char>(value.size()));
      record.append(value);
      return record;
    };
    // Kinds index the target's list: v b a g i p r x.
    view_rows.Add(row(4, 0, "", "[1, \"t1\""));       // an index row, cut short
    view_rows.Add(row(5, 2, "todos", "{\"title\""));  // a projection row
    view_rows.Add(row(3, 1, "", "not totals"));       // a group row
    view_rows.Add(row(0, 1, "", "{\"name\": 1}") +    // a definition
                  row(1, 0, "", "\xff\xff") + row(7, 2, "", ""));

    for (int keyed = 0; keyed < 2; ++keyed) {
      for (int live = 0; live < 2; ++live) {
        weft::SyncOptions options;
        if (keyed) options.key = "a shared key of the replicas";
        options.live = live != 0;
        std::vector<std::string> to_a, to_b;
        RecordSession(a.get(), b.get(), options, &to_a, &to_b);
        char mode = static_cast<char>((keyed ? 2 : 0) | (live ? 4 : 0));
        session.Add(std::string(1, mode) + Chunked(to_b));      // as responder
        session.Add(std::string(1, mode | 1) + Chunked(to_a));  // initiator
        Edit(a.get(), "a" + std::to_string(keyed * 2 + live));  // diverge
      }
    }

    json_input.Add(std::string(2, '\0') +
                   R"({"title": "milk", "tags": ["a", 1, null, 2.5],
                       "address": {"city": "Oslo", "zip": {"$bytes": "00"}}})");
    json_input.Add(std::string("\1\11address.city") + R"("Paris")");
    json_input.Add(std::string("\2\0", 2) + "123456789012345678901234567890");

    for (const char* line :
         {"get todos/a0", "get todos/a0 address.city --conflicts",
          "put todos/9 {\"title\": \"x\", \"n\": 3}",
          "set todos/9 address.city \"Bergen\"", "incr todos/9 votes 2",
          "splice todos/9 note 0 0 \"hi\"", "sadd todos/9 tags \"work\"",
          "linsert todos/9 steps 0 1", "ldel todos/9 steps 0 1",
          "find todos where n = 2 and done = false order by n desc limit 3",
          "find todos {\"n\": {\"$gte\": 1}} --order n --limit 2",
          "explain todos where address.city exists", "keys todos", "log -n 3",
          "heads", "views", "help find"}) {
      shell.Add(line);
    }

    // fuzz_secure_input: [selector][chunk size byte] then the bytes.
    Seeds secure(out, "fuzz_secure_input");
    auto keys = weft::tls::LoadOrCreateIdentity(dir.Sub("fuzz.key"));
    Check(keys.status());
    auto context = weft::tls::TlsContext::New(*keys);
    Check(context.status());
    auto any = [](const std::string&) { return weft::Status::OK(); };
    auto client = weft::tls::TlsChannel::New(*context, true, any);
    auto server = weft::tls::TlsChannel::New(*context, false, any);
    Check(client.status());
    Check(server.status());
    std::string client_hello = (*client)->TakeOutput(), ignored;
    Check((*server)->Feed(client_hello, &ignored));
    std::string server_flight = (*server)->TakeOutput();
    secure.Add(std::string("\0\xff", 2) + client_hello);
    secure.Add(std::string("\1\xff", 2) + server_flight);
    secure.Add("\2# peers\n" + keys->id + " read-write laptop\n" + keys->id +
               " read\n");
    std::ifstream pem(dir.Sub("fuzz.key"));
    secure.Add("\3" + std::string(std::istreambuf_iterator<char>(pem), {}));
    secure.Add("\4" + keys->id);
  }
  return 0;
}
