// ViewStore's aggregates: group rows (count, integer sum, whether any
// number is not an integer) and the totals a scan reports.
#include <nlohmann/json.hpp>

#include "base/varint.h"
#include "engine/json/json_value.h"
#include "engine/views/field.h"
#include "engine/views/view_keys.h"
#include "engine/views/view_store.h"

namespace weft::engine {
namespace {

std::string Int128ToString(__int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  unsigned __int128 magnitude =
      negative ? -static_cast<unsigned __int128>(value) : value;
  std::string digits;
  for (; magnitude > 0; magnitude /= 10) {
    digits.push_back(static_cast<char>('0' + magnitude % 10));
  }
  if (negative) digits.push_back('-');
  return {digits.rbegin(), digits.rend()};
}

// JSON read from a row on disk: Corruption if it does not parse (a damaged
// row must not throw out of a scan).
Status StoredJson(std::string_view text, nlohmann::json* json) {
  WEFT_ASSIGN_OR_RETURN(*json, ParseStoredJson(text, "views: a row"));
  return Status::OK();
}

}  // namespace

using storage::Family;
using view_keys::kGroupRow;
using view_keys::kNumberRow;
using view_keys::RowPrefix;
using view_keys::StartsWith;

Status ViewStore::LoadGroup(const std::string& key, Groups* groups,
                            Group** group) const {
  auto [it, inserted] = groups->try_emplace(key);
  *group = &it->second;
  if (!inserted) return Status::OK();
  std::string value;
  Status status = store_->Get(Family::kViews, key, &value);
  if (status.IsNotFound()) return Status::OK();
  WEFT_RETURN_IF_ERROR(status);
  std::string_view rest = value;
  if (!GetVarint(&rest, &it->second.count) ||
      !GetVarint(&rest, &it->second.non_integers) || rest.size() < 16) {
    return Status::Corruption("views: malformed group row");
  }
  unsigned __int128 bits = 0;
  for (int idx = 0; idx < 16; ++idx) {
    bits = (bits << 8) | static_cast<uint8_t>(rest[idx]);
  }
  it->second.integer_sum = static_cast<__int128>(bits);
  it->second.json = std::string(rest.substr(16));
  return Status::OK();
}

void ViewStore::WriteGroups(const Groups& groups, storage::WriteBatch* writes) {
  for (const auto& [key, group] : groups) {
    if (group.count == 0) {
      writes->Delete(Family::kViews, key);
      continue;
    }
    std::string value;
    PutVarint(&value, group.count);
    PutVarint(&value, group.non_integers);
    auto bits = static_cast<unsigned __int128>(group.integer_sum);
    for (int shift = 120; shift >= 0; shift -= 8) {
      value.push_back(static_cast<char>(bits >> shift));
    }
    value += group.json;
    writes->Put(Family::kViews, key, value);
  }
}

Status ViewStore::ScanAggregate(
    const std::string& name,
    const std::function<bool(const ViewRow&)>& visit) const {
  std::string group_prefix = RowPrefix(kGroupRow, name);
  auto groups = store_->NewIterator(Family::kViews);
  auto numbers = store_->NewIterator(Family::kViews);
  for (groups->Seek(group_prefix);
       groups->Valid() && StartsWith(groups->key(), group_prefix);
       groups->Next()) {
    std::string group_key(groups->key());
    Groups loaded;
    Group* group;
    WEFT_RETURN_IF_ERROR(LoadGroup(group_key, &loaded, &group));
    std::string number_prefix =
        RowPrefix(kNumberRow, name) + group_key.substr(group_prefix.size());
    nlohmann::json totals = {{"count", group->count},
                             {"sum", nullptr},
                             {"min", nullptr},
                             {"max", nullptr}};
    numbers->Seek(number_prefix);
    if (numbers->Valid() && StartsWith(numbers->key(), number_prefix)) {
      WEFT_RETURN_IF_ERROR(StoredJson(numbers->value(), &totals["min"]));
      if (group->non_integers == 0) {
        totals["sum"] =
            nlohmann::json::parse(Int128ToString(group->integer_sum));
      } else {
        // Floats are summed here, in key order, so that the result does
        // not depend on the order documents changed in.
        double sum = 0;
        for (; numbers->Valid() && StartsWith(numbers->key(), number_prefix);
             numbers->Next()) {
          sum += FieldFromJson(numbers->value()).number;
        }
        totals["sum"] = sum;
      }
      numbers->Seek(number_prefix + "\xff");
      if (numbers->Valid()) {
        numbers->Prev();
      } else {
        numbers->SeekToLast();
      }
      WEFT_RETURN_IF_ERROR(StoredJson(numbers->value(), &totals["max"]));
    }
    WEFT_RETURN_IF_ERROR(numbers->status());
    nlohmann::json group_json;  // checked: callers parse it as JSON
    WEFT_RETURN_IF_ERROR(StoredJson(group->json, &group_json));
    if (!visit(ViewRow{"", group->json, totals.dump()})) return Status::OK();
  }
  return groups->status();
}

}  // namespace weft::engine
