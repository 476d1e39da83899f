// JSON from a caller (put, set, a scalar argument) into a real
// transaction, which is then aborted: any text is an edit or a clear
// error, never a crash, a hang or deep recursion.
#include "engine/json/json_value.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::Database* db = weft::fuzz::SharedDatabase();
  weft::fuzz::Input input(data, size);
  uint8_t which = input.Byte();
  std::string_view path = input.Take(input.Byte());
  std::string text(input.rest());
  auto txn = db->Begin();
  switch (which % 3) {
    case 0:
      txn->PutJson("fuzz/doc", text).status().PermitUncheckedError();
      break;
    case 1:
      txn->SetJson("todos/1", path.empty() ? "x" : path, text)
          .status()
          .PermitUncheckedError();
      break;
    default: {
      if (!weft::engine::CheckJsonDepth(text, 101).ok()) break;
      auto value = nlohmann::json::parse(text, nullptr, false);
      if (!value.is_discarded()) (void)weft::engine::ScalarFromJson(value);
      break;
    }
  }
  txn->Abort();
  return 0;
}
