// LineReader: interactive input with libedit: line editing, persistent
// history, tab completion; Ctrl-C cancels the line, Ctrl-D ends input.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weft::cli {

class LineReader {
 public:
  // `complete(word_start, line)` lists candidates for the word being typed
  // (`word_start` is the text of that word so far). History is read from
  // and appended to `history_path` ("" for none).
  using Completer = std::function<std::vector<std::string>(
      const std::string& word_start, const std::string& line)>;
  LineReader(std::string history_path, Completer completer);
  ~LineReader();

  // The next line, or nullopt at end of input. A Ctrl-C cancels the line
  // being typed: it returns "" and interrupted() is then true.
  std::optional<std::string> ReadLine(const std::string& prompt);
  bool interrupted() const { return interrupted_; }
  // Remembers one command (blank ones are not) in the history.
  void AddHistory(const std::string& entry);

 private:
  std::string history_path_;
  bool interrupted_ = false;
};

}  // namespace weft::cli
