// A progress line for long work (view builds, export, import, clone by
// sync): redrawn in place on stderr, at most every 100 ms, only when
// stderr is a terminal and output is not --json (Output::progress).
#pragma once

#include <chrono>
#include <string>

#include "commands.h"

namespace weft::cli {

class ProgressLine {
 public:
  explicit ProgressLine(const Output& output) : output_(output) {}
  ~ProgressLine();  // ends the line, if one was drawn
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Shows `text` now if the last one is 100 ms old (or `last` is true).
  void Show(const std::string& text, bool last = false);
  // "<what>: done/total changes (percent%)".
  void ShowCount(const std::string& what, uint64_t done, uint64_t total);

 private:
  const Output& output_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point shown_at_;
};

}  // namespace weft::cli
