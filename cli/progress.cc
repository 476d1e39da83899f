#include "progress.h"

namespace weft::cli {

ProgressLine::~ProgressLine() {
  if (drawn_) output_.err << "\n" << std::flush;
}

void ProgressLine::Show(const std::string& text, bool last) {
  if (!output_.progress) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && !last && now - shown_at_ < std::chrono::milliseconds(100)) {
    return;
  }
  // Carriage return, the text, then erase what a longer line left.
  output_.err << "\r" << text << "\x1b[K" << std::flush;
  drawn_ = true;
  shown_at_ = now;
}

void ProgressLine::ShowCount(const std::string& what, uint64_t done,
                             uint64_t total) {
  uint64_t percent = total == 0 ? 100 : done * 100 / total;
  Show(what + ": " + std::to_string(done) + "/" + std::to_string(total) +
           " changes (" + std::to_string(percent) + "%)",
       done == total);
}

}  // namespace weft::cli
