#include "where_clause.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <vector>

namespace weft::cli {
namespace {

using nlohmann::json;

struct Token {
  std::string text;
  bool quoted = false;  // a JSON string, quotes included
};

bool IsOperatorChar(char c) { return c == '<' || c == '>' || c == '='; }

bool Lower(std::string_view word, std::string_view keyword) {
  if (word.size() != keyword.size()) return false;
  for (size_t at = 0; at < word.size(); ++at) {
    if (std::tolower(static_cast<unsigned char>(word[at])) != keyword[at]) {
      return false;
    }
  }
  return true;
}

Status Tokenize(std::string_view text, std::vector<Token>* tokens) {
  size_t at = 0;
  while (at < text.size()) {
    char c = text[at];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++at;
    } else if (c == '"') {  // a JSON string: up to the unescaped quote
      size_t end = at + 1;
      while (end < text.size() && text[end] != '"') {
        end += text[end] == '\\' ? 2 : 1;
      }
      if (end >= text.size()) {
        return Status::InvalidArgument("unterminated string in", text);
      }
      tokens->push_back({std::string(text.substr(at, end + 1 - at)), true});
      at = end + 1;
    } else if (IsOperatorChar(c) || c == '!') {
      size_t end = at + 1;
      while (end < text.size() && IsOperatorChar(text[end])) ++end;
      tokens->push_back({std::string(text.substr(at, end - at))});
      at = end;
    } else {
      size_t end = at;
      while (end < text.size() && text[end] != ' ' && text[end] != '\t' &&
             text[end] != '\n' && text[end] != '\r' &&
             !IsOperatorChar(text[end]) && text[end] != '"') {
        ++end;
      }
      tokens->push_back({std::string(text.substr(at, end - at))});
      at = end;
    }
  }
  return Status::OK();
}

json ValueOf(const Token& token) {
  json value = json::parse(token.text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || value.is_structured()) return token.text;
  return value;
}

}  // namespace

bool StartsWhereClause(std::string_view word) {
  return Lower(word, "where") || Lower(word, "order") || Lower(word, "limit");
}

Status ParseWhereClause(std::string_view text, Predicate* predicate,
                        FindOptions* options) {
  std::vector<Token> tokens;
  WEFT_RETURN_IF_ERROR(Tokenize(text, &tokens));
  size_t at = 0;
  auto word_is = [&](std::string_view keyword) {
    return at < tokens.size() && !tokens[at].quoted &&
           Lower(tokens[at].text, keyword);
  };
  auto expected = [&](const std::string& what) {
    return Status::InvalidArgument(
        "expected " + what + " at word " + std::to_string(at + 1) + " of",
        std::string(text));
  };
  json conditions = json::array();
  if (word_is("where")) {
    do {
      ++at;  // "where" or "and"
      if (at >= tokens.size() || tokens[at].quoted) {
        return expected("a field path");
      }
      std::string path = tokens[at++].text;
      if (word_is("exists") || word_is("missing")) {
        conditions.push_back({{path, {{"$exists", word_is("exists")}}}});
        ++at;
        continue;
      }
      if (at >= tokens.size()) return expected("=, <, <=, >, >= or exists");
      std::string op = tokens[at++].text;
      if (at >= tokens.size()) return expected("a value");
      json value = ValueOf(tokens[at++]);
      if (op == "=" || op == "==") {
        conditions.push_back({{path, value}});
      } else if (op == "<" || op == "<=" || op == ">" || op == ">=") {
        static const std::pair<const char*, const char*> kOps[] = {
            {"<", "$lt"}, {"<=", "$lte"}, {">", "$gt"}, {">=", "$gte"}};
        for (const auto& [symbol, name] : kOps) {
          if (op == symbol) conditions.push_back({{path, {{name, value}}}});
        }
      } else {
        at -= 2;
        return expected("=, <, <=, >, >= or exists (not '" + op + "')");
      }
    } while (word_is("and"));
  }
  if (word_is("order")) {
    ++at;
    if (!word_is("by")) return expected("'by' after 'order'");
    if (++at >= tokens.size() || tokens[at].quoted) {
      return expected("a field path to order by");
    }
    options->order_by = tokens[at++].text;
    if (word_is("desc") || word_is("asc")) {
      options->descending = word_is("desc");
      ++at;
    }
  }
  if (word_is("limit")) {
    if (++at >= tokens.size()) return expected("a number after 'limit'");
    const std::string& number = tokens[at].text;
    auto [end, error] = std::from_chars(
        number.data(), number.data() + number.size(), options->limit);
    if (error != std::errc() || end != number.data() + number.size()) {
      return expected("a whole number after 'limit'");
    }
    ++at;
  }
  if (at != tokens.size()) {
    return expected("and, order by, limit or the end");
  }
  if (conditions.empty()) {
    *predicate = Predicate::All();
    return Status::OK();
  }
  json whole =
      conditions.size() == 1 ? conditions[0] : json{{"$and", conditions}};
  std::string predicate_json;
  try {
    predicate_json = whole.dump();
  } catch (const json::type_error&) {  // only invalid UTF-8 gets here
    return Status::InvalidArgument("the where clause is not valid UTF-8");
  }
  WEFT_ASSIGN_OR_RETURN(*predicate, Predicate::FromJson(predicate_json));
  return Status::OK();
}

}  // namespace weft::cli
