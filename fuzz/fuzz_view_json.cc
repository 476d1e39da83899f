// What views and queries read from outside or from disk: definitions and
// predicates as JSON, field values as JSON, encoded index fields.
#include "engine/json/json_value.h"
#include "engine/views/field.h"
#include "fuzz/fuzz_util.h"
#include "weft/view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::fuzz::Input input(data, size);
  uint8_t which = input.Byte();
  std::string_view text = input.rest();
  switch (which % 4) {
    case 0: {
      auto view = weft::ViewDefinition::FromJson(text);
      if (view.ok()) {
        auto again = weft::ViewDefinition::FromJson(view->ToJson());
        if (!again.ok() || again->ToJson() != view->ToJson()) abort();
      }
      break;
    }
    case 1: {
      auto predicate = weft::Predicate::FromJson(text);
      if (predicate.ok()) {
        if (!weft::Predicate::FromJson(predicate->ToJson()).ok()) abort();
      }
      break;
    }
    case 2:
      weft::engine::FieldFromJson(text);
      weft::engine::CheckJsonDepth(text, 101).PermitUncheckedError();
      break;
    default: {
      std::string_view encoded = text;
      while (!encoded.empty() && weft::engine::SkipEncodedField(&encoded)) {
      }
      break;
    }
  }
  return 0;
}
