#include "engine/views/view_keys.h"

#include "base/varint.h"
#include "engine/log/keys.h"

namespace weft::engine::view_keys {

std::string RowPrefix(char kind, const std::string& name) {
  std::string prefix(1, kind);
  prefix += name;
  prefix.push_back('\0');
  return prefix;
}

std::string MetaKey(char kind, const std::string& name) {
  return std::string(1, kind) + name;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool GetLengthPrefixed(std::string_view* in, std::string* out) {
  uint64_t size;
  if (!GetVarint(in, &size) || size > in->size()) return false;
  out->assign(in->substr(0, size));
  in->remove_prefix(size);
  return true;
}

void PutLengthPrefixed(std::string* out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out->append(bytes);
}

std::string NumberRowKey(const std::string& name, const std::string& group,
                         const FieldValue& number, const std::string& doc_key) {
  std::string key = RowPrefix(kNumberRow, name) + group;
  EncodeField(number, &key);
  return key + doc_key;
}

Status DocOfKey(std::string_view doc_key, DocRef* doc) {
  if (!ReadEscaped(&doc_key, &doc->collection) ||
      !ReadEscaped(&doc_key, &doc->key) || !doc_key.empty()) {
    return Status::Corruption("views: malformed document key in a row");
  }
  return Status::OK();
}

std::string DocAddress(const DocRef& doc) {
  return doc.collection + "/" + doc.key;
}

}  // namespace weft::engine::view_keys
