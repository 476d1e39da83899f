#include "engine/views/predicate.h"

#include <nlohmann/json.hpp>

#include "dag/change_codec.h"
#include "engine/crdt/path.h"
#include "engine/json/json_value.h"
#include "engine/views/field.h"

namespace weft {
namespace {

using nlohmann::json;
using Kind = Predicate::Kind;

constexpr size_t kPredicateDepthMax = 16;
constexpr size_t kIndexFieldsMax = 8;
constexpr size_t kProjectionFieldsMax = 64;

Status CheckPath(const std::string& path) {
  if (path.size() > 1024) return Status::InvalidArgument("path over 1 KiB");
  return engine::ParsePath(path).status();
}

Result<Scalar> ScalarFromJson(const json& value, const std::string& path) {
  Result<Scalar> scalar = engine::ScalarFromJson(value);
  if (!scalar.ok()) {
    return Status::InvalidArgument(
        "predicate on '" + path +
            "': compare with a string, number, boolean or null",
        scalar.status().message());
  }
  return scalar;
}

Result<Predicate> FromJsonObject(const json& object, size_t depth);

// The conditions on one path: a scalar (equality) or an operator object.
Result<Predicate> FromCondition(const std::string& path, const json& value) {
  WEFT_RETURN_IF_ERROR(CheckPath(path));
  if (!value.is_object() || engine::IsBytesJson(value)) {
    WEFT_ASSIGN_OR_RETURN(Scalar scalar, ScalarFromJson(value, path));
    return Predicate::Equals(path, std::move(scalar));
  }
  if (value.empty()) {
    return Status::InvalidArgument("empty condition on '" + path + "'");
  }
  std::vector<Predicate> parts;
  std::optional<Scalar> lower, upper;
  bool lower_inclusive = false, upper_inclusive = false;
  for (const auto& [op, operand] : value.items()) {
    if (op == "$exists") {
      if (!operand.is_boolean()) {
        return Status::InvalidArgument("$exists on '" + path +
                                       "' takes true or false");
      }
      parts.push_back(Predicate::Exists(path, operand.get<bool>()));
      continue;
    }
    if (op != "$eq" && op != "$gt" && op != "$gte" && op != "$lt" &&
        op != "$lte") {
      return Status::InvalidArgument("unknown operator '" + op + "' on '" +
                                     path +
                                     "' (use $eq $gt $gte $lt $lte $exists)");
    }
    WEFT_ASSIGN_OR_RETURN(Scalar scalar, ScalarFromJson(operand, path));
    if (op == "$eq") {
      parts.push_back(Predicate::Equals(path, std::move(scalar)));
    } else if (op[1] == 'g') {
      if (lower) {
        return Status::InvalidArgument("two lower bounds on '" + path + "'");
      }
      lower = std::move(scalar);
      lower_inclusive = op == "$gte";
    } else {
      if (upper) {
        return Status::InvalidArgument("two upper bounds on '" + path + "'");
      }
      upper = std::move(scalar);
      upper_inclusive = op == "$lte";
    }
  }
  if (lower || upper) {
    parts.push_back(Predicate::Range(path, lower ? &*lower : nullptr,
                                     lower_inclusive, upper ? &*upper : nullptr,
                                     upper_inclusive));
  }
  return parts.size() == 1 ? std::move(parts[0])
                           : Predicate::And(std::move(parts));
}

Result<Predicate> FromJsonObject(const json& object, size_t depth) {
  if (!object.is_object()) {
    return Status::InvalidArgument("a predicate is a JSON object, not",
                                   object.dump());
  }
  if (depth > kPredicateDepthMax) {
    return Status::InvalidArgument("predicate nested too deeply");
  }
  std::vector<Predicate> parts;
  for (const auto& [key, value] : object.items()) {
    if (key == "$and") {
      if (!value.is_array() || value.empty()) {
        return Status::InvalidArgument("$and takes a non-empty array");
      }
      for (const json& operand : value) {
        WEFT_ASSIGN_OR_RETURN(Predicate part,
                              FromJsonObject(operand, depth + 1));
        parts.push_back(std::move(part));
      }
    } else if (!key.empty() && key[0] == '$') {
      return Status::InvalidArgument("unknown operator '" + key +
                                     "' (only $and at the top)");
    } else {
      WEFT_ASSIGN_OR_RETURN(Predicate part, FromCondition(key, value));
      parts.push_back(std::move(part));
    }
  }
  if (parts.empty()) return Predicate::All();
  return parts.size() == 1 ? std::move(parts[0])
                           : Predicate::And(std::move(parts));
}

json PredicateJson(const Predicate& predicate) {
  switch (predicate.kind()) {
    case Kind::kAll:
      return json::object();
    case Kind::kEquals:
      return {{predicate.path(), engine::ScalarJson(predicate.value())}};
    case Kind::kExists:
      return {{predicate.path(), {{"$exists", predicate.exists()}}}};
    case Kind::kRange: {
      json bounds = json::object();
      if (predicate.has_lower()) {
        bounds[predicate.lower_inclusive() ? "$gte" : "$gt"] =
            engine::ScalarJson(predicate.lower());
      }
      if (predicate.has_upper()) {
        bounds[predicate.upper_inclusive() ? "$lte" : "$lt"] =
            engine::ScalarJson(predicate.upper());
      }
      return {{predicate.path(), bounds}};
    }
    case Kind::kAnd: {
      json operands = json::array();
      for (const Predicate& operand : predicate.operands()) {
        operands.push_back(PredicateJson(operand));
      }
      return {{"$and", operands}};
    }
  }
  return json::object();
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* ViewKindName(ViewKind kind) {
  switch (kind) {
    case ViewKind::kIndex:
      return "index";
    case ViewKind::kAggregate:
      return "aggregate";
    case ViewKind::kProjection:
      return "projection";
  }
  return "?";
}

Predicate Predicate::All() { return Predicate(); }

Predicate Predicate::Equals(std::string path, Scalar value) {
  Predicate predicate;
  predicate.kind_ = Kind::kEquals;
  predicate.path_ = std::move(path);
  predicate.value_ = std::move(value);
  return predicate;
}

Predicate Predicate::Range(std::string path, const Scalar* lower,
                           bool lower_inclusive, const Scalar* upper,
                           bool upper_inclusive) {
  Predicate predicate;
  predicate.kind_ = Kind::kRange;
  predicate.path_ = std::move(path);
  if (lower != nullptr) {
    predicate.has_lower_ = true;
    predicate.lower_ = *lower;
    predicate.lower_inclusive_ = lower_inclusive;
  }
  if (upper != nullptr) {
    predicate.has_upper_ = true;
    predicate.upper_ = *upper;
    predicate.upper_inclusive_ = upper_inclusive;
  }
  return predicate;
}

Predicate Predicate::Exists(std::string path, bool exists) {
  Predicate predicate;
  predicate.kind_ = Kind::kExists;
  predicate.path_ = std::move(path);
  predicate.exists_ = exists;
  return predicate;
}

Predicate Predicate::And(std::vector<Predicate> operands) {
  Predicate predicate;
  predicate.kind_ = Kind::kAnd;
  predicate.operands_ = std::move(operands);
  return predicate;
}

Result<Predicate> Predicate::FromJson(std::string_view text) {
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) {
    return Status::InvalidArgument("predicate is not valid JSON",
                                   std::string(text.substr(0, 200)));
  }
  return FromJsonObject(parsed, 0);
}

std::string Predicate::ToJson() const { return PredicateJson(*this).dump(); }

std::string ViewDefinition::ToJson() const {
  json out = {
      {"name", name}, {"kind", ViewKindName(kind)}, {"collection", collection}};
  if (kind != ViewKind::kAggregate) out["fields"] = fields;
  if (kind == ViewKind::kAggregate) {
    out["aggregate_field"] = aggregate_field;
    out["group_by"] = group_by;
  }
  if (kind == ViewKind::kProjection) out["filter"] = PredicateJson(filter);
  return out.dump();
}

Result<ViewDefinition> ViewDefinition::FromJson(std::string_view text) {
  json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_object()) {
    return Status::InvalidArgument("a view definition is a JSON object");
  }
  ViewDefinition definition;
  auto string_at = [&](const char* key, std::string* out) -> Status {
    auto it = parsed.find(key);
    if (it == parsed.end()) return Status::OK();
    if (!it->is_string()) {
      return Status::InvalidArgument(std::string("view '") + key +
                                     "' must be a string");
    }
    *out = it->get<std::string>();
    return Status::OK();
  };
  std::string kind;
  WEFT_RETURN_IF_ERROR(string_at("name", &definition.name));
  WEFT_RETURN_IF_ERROR(string_at("kind", &kind));
  WEFT_RETURN_IF_ERROR(string_at("collection", &definition.collection));
  WEFT_RETURN_IF_ERROR(
      string_at("aggregate_field", &definition.aggregate_field));
  WEFT_RETURN_IF_ERROR(string_at("group_by", &definition.group_by));
  if (kind == "index") {
    definition.kind = ViewKind::kIndex;
  } else if (kind == "aggregate") {
    definition.kind = ViewKind::kAggregate;
  } else if (kind == "projection") {
    definition.kind = ViewKind::kProjection;
  } else {
    return Status::InvalidArgument(
        "view kind must be index, aggregate or projection, not", kind);
  }
  if (auto it = parsed.find("fields"); it != parsed.end()) {
    if (!it->is_array()) {
      return Status::InvalidArgument("view 'fields' must be an array");
    }
    for (const json& field : *it) {
      if (!field.is_string()) {
        return Status::InvalidArgument("view fields must be strings");
      }
      definition.fields.push_back(field.get<std::string>());
    }
  }
  if (auto it = parsed.find("filter"); it != parsed.end()) {
    WEFT_ASSIGN_OR_RETURN(definition.filter, FromJsonObject(*it, 0));
  }
  WEFT_RETURN_IF_ERROR(engine::ValidateDefinition(definition));
  return definition;
}

namespace engine {

bool Matches(const Predicate& predicate, const Document& document) {
  return *MatchesFields(
      predicate, [&](const std::string& path) -> std::optional<FieldValue> {
        return FieldAt(document, path);
      });
}

std::optional<bool> MatchesPeek(const Predicate& predicate,
                                const RootMapPeek& peek) {
  return MatchesFields(
      predicate, [&](const std::string& path) -> std::optional<FieldValue> {
        // A root key: a path of one segment (ParsePath splits at dots).
        if (path.empty() || path.find('.') != std::string::npos) {
          return std::nullopt;
        }
        size_t visible;
        bool plain;
        Scalar scalar;
        if (!peek.Lookup(path, &visible, &plain, &scalar)) {
          return std::nullopt;
        }
        if (visible == 0) return FieldValue();
        if (!plain) return std::nullopt;
        return FieldFromScalar(scalar);
      });
}

std::optional<bool> MatchesFields(const Predicate& predicate,
                                  const FieldLookup& field_at) {
  switch (predicate.kind()) {
    case Kind::kAll:
      return true;
    case Kind::kEquals: {
      std::optional<FieldValue> field = field_at(predicate.path());
      if (!field) return std::nullopt;
      return CompareFields(*field, FieldFromScalar(predicate.value())) == 0;
    }
    case Kind::kExists: {
      std::optional<FieldValue> field = field_at(predicate.path());
      if (!field) return std::nullopt;
      return field->present() == predicate.exists();
    }
    case Kind::kRange: {
      // Bounds compare within their own type only.
      std::optional<FieldValue> found = field_at(predicate.path());
      if (!found) return std::nullopt;
      const FieldValue& field = *found;
      if (predicate.has_lower()) {
        FieldValue lower = FieldFromScalar(predicate.lower());
        if (field.type != lower.type) return false;
        int order = CompareFields(field, lower);
        if (order < 0 || (order == 0 && !predicate.lower_inclusive())) {
          return false;
        }
      }
      if (predicate.has_upper()) {
        FieldValue upper = FieldFromScalar(predicate.upper());
        if (field.type != upper.type) return false;
        int order = CompareFields(field, upper);
        if (order > 0 || (order == 0 && !predicate.upper_inclusive())) {
          return false;
        }
      }
      return field.present();
    }
    case Kind::kAnd:
      for (const Predicate& operand : predicate.operands()) {
        std::optional<bool> matched = MatchesFields(operand, field_at);
        if (!matched || !*matched) return matched;
      }
      return true;
  }
  return false;
}

Status ValidateDefinition(const ViewDefinition& definition) {
  if (!ValidName(definition.name)) {
    return Status::InvalidArgument(
        "a view name is 1-64 of A-Z a-z 0-9 _ -, not", definition.name);
  }
  const std::string& collection = definition.collection;
  if (collection.empty() || collection.size() > 4096 ||
      collection.find('/') != std::string::npos ||
      !dag::IsValidUtf8(collection)) {
    return Status::InvalidArgument(
        "a view's collection is a non-empty UTF-8 name without '/'");
  }
  switch (definition.kind) {
    case ViewKind::kIndex:
      if (definition.fields.empty() ||
          definition.fields.size() > kIndexFieldsMax) {
        return Status::InvalidArgument("an index has 1 to 8 fields");
      }
      break;
    case ViewKind::kAggregate:
      WEFT_RETURN_IF_ERROR(CheckPath(definition.aggregate_field));
      if (!definition.group_by.empty()) {
        WEFT_RETURN_IF_ERROR(CheckPath(definition.group_by));
      }
      if (!definition.fields.empty()) {
        return Status::InvalidArgument(
            "an aggregate takes aggregate_field and group_by, not fields");
      }
      break;
    case ViewKind::kProjection:
      if (definition.fields.size() > kProjectionFieldsMax) {
        return Status::InvalidArgument("a projection keeps at most 64 fields");
      }
      break;
  }
  for (const std::string& field : definition.fields) {
    WEFT_RETURN_IF_ERROR(CheckPath(field));
  }
  return Status::OK();
}

}  // namespace engine
}  // namespace weft
