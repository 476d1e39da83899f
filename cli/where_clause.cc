#include "where_clause.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "weft/json.h"

namespace weft::cli {
namespace {

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

// A value as JSON (a number, true, "text"...); a word that is no JSON
// scalar is the string it spells (`where name = ada`). A JSON scalar weft
// cannot hold (an integer beyond int64) is an error, not a string.
Result<Scalar> ValueOf(const Token& token) {
  Result<Scalar> value = ScalarFromJsonText(token.text);
  if (value.ok() && !std::holds_alternative<Bytes>(*value)) return value;
  bool json_scalar = nlohmann::json::accept(token.text) &&
                     token.text[0] != '{' && token.text[0] != '[';
  if (!value.ok() && json_scalar) return value.status();
  return Scalar(token.text);
}

// `path OP value` as a predicate; OP is one of = == < <= > >=.
std::optional<Predicate> Comparison(std::string path, const std::string& op,
                                    const Scalar& value) {
  if (op == "=" || op == "==") return Predicate::Equals(std::move(path), value);
  bool inclusive = op.size() == 2 && op[1] == '=';
  if (op == "<" || op == "<=") {
    return Predicate::Range(std::move(path), nullptr, false, &value, inclusive);
  }
  if (op == ">" || op == ">=") {
    return Predicate::Range(std::move(path), &value, inclusive, nullptr, false);
  }
  return std::nullopt;
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
  std::vector<Predicate> conditions;
  if (word_is("where")) {
    do {
      ++at;  // "where" or "and"
      if (at >= tokens.size() || tokens[at].quoted) {
        return expected("a field path");
      }
      std::string path = tokens[at++].text;
      if (word_is("exists") || word_is("missing")) {
        conditions.push_back(Predicate::Exists(path, word_is("exists")));
        ++at;
        continue;
      }
      if (at >= tokens.size()) return expected("=, <, <=, >, >= or exists");
      std::string op = tokens[at++].text;
      if (at >= tokens.size()) return expected("a value");
      WEFT_ASSIGN_OR_RETURN(Scalar value, ValueOf(tokens[at++]));
      std::optional<Predicate> condition = Comparison(path, op, value);
      if (!condition) {
        at -= 2;
        return expected("=, <, <=, >, >= or exists (not '" + op + "')");
      }
      conditions.push_back(std::move(*condition));
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
  } else if (conditions.size() == 1) {
    *predicate = std::move(conditions[0]);
  } else {
    *predicate = Predicate::And(std::move(conditions));
  }
  return Status::OK();
}

}  // namespace weft::cli
