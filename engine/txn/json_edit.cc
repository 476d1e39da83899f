// Transaction::PutJson / SetJson: JSON values as transaction edits.
#include <nlohmann/json.hpp>

#include "dag/change_limits.h"
#include "engine/json/json_value.h"
#include "weft/transaction.h"

namespace weft {
namespace {

using nlohmann::json;

// A document's root is the top-level object, so its JSON may nest one level
// more than the document.
Result<json> ParseJson(std::string_view text) {
  return engine::ParseJsonInput(text, limits::kDocumentDepthMax + 1);
}

Status CheckKey(const std::string& key) {
  if (key.empty() || key.find('.') != std::string::npos) {
    return Status::InvalidArgument(
        "a key must be non-empty and without '.' to be addressable", key);
  }
  return Status::OK();
}

Status SetValue(Transaction* txn, std::string_view doc, const std::string& path,
                const json& value) {
  if (value.is_object() && !engine::IsBytesJson(value)) {
    WEFT_RETURN_IF_ERROR(txn->Make(doc, path, ObjectType::kMap).status());
    for (const auto& [key, child] : value.items()) {
      WEFT_RETURN_IF_ERROR(CheckKey(key));
      WEFT_RETURN_IF_ERROR(SetValue(txn, doc, path + "." + key, child));
    }
    return Status::OK();
  }
  if (value.is_array()) {
    WEFT_RETURN_IF_ERROR(txn->Make(doc, path, ObjectType::kList).status());
    uint64_t index = 0;
    for (const json& element : value) {
      if (element.is_structured() && !engine::IsBytesJson(element)) {
        return Status::InvalidArgument(
            "objects and arrays inside arrays are not supported yet");
      }
      WEFT_ASSIGN_OR_RETURN(Scalar scalar, engine::ScalarFromJson(element));
      WEFT_RETURN_IF_ERROR(
          txn->ListInsert(doc, path, index++, scalar).status());
    }
    return Status::OK();
  }
  WEFT_ASSIGN_OR_RETURN(Scalar scalar, engine::ScalarFromJson(value));
  return txn->Set(doc, path, scalar).status();
}

Status PutDocument(Transaction* txn, std::string_view doc,
                   std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(json value, ParseJson(text));
  if (!value.is_object()) {
    return Status::InvalidArgument("a document is a JSON object");
  }
  // Keys the new content lacks go; the rest is set anew.
  Result<std::string> current = txn->GetJson(doc);
  if (current.ok()) {
    WEFT_ASSIGN_OR_RETURN(json before,  // outlives the loop over it
                          engine::ParseStoredJson(*current, "the document"));
    for (const auto& [key, old] : before.items()) {
      if (!value.contains(key))
        WEFT_RETURN_IF_ERROR(txn->Delete(doc, key).status());
    }
  } else if (!current.status().IsNotFound()) {
    return current.status();
  } else {
    WEFT_RETURN_IF_ERROR(txn->CreateDocument(doc).status());
  }
  for (const auto& [key, child] : value.items()) {
    WEFT_RETURN_IF_ERROR(CheckKey(key));
    WEFT_RETURN_IF_ERROR(SetValue(txn, doc, key, child));
  }
  return Status::OK();
}

}  // namespace

// Any failure, even one found before an edit was made, poisons the
// transaction: a half-put document never commits.
Transaction& Transaction::PutJson(std::string_view doc, std::string_view text) {
  Record([&]() -> Status {
    Status status = PutDocument(this, doc, text);
    return status.ok() ? status : Fail(status);
  });
  return *this;
}

Transaction& Transaction::SetJson(std::string_view doc, std::string_view path,
                                  std::string_view text) {
  Record([&]() -> Status {
    Result<json> value = ParseJson(text);
    Status status = value.ok() ? SetValue(this, doc, std::string(path), *value)
                               : value.status();
    return status.ok() ? status : Fail(status);
  });
  return *this;
}

}  // namespace weft
