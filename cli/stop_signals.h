// Waiting for Ctrl-C or SIGTERM while other threads work (serve, sync
// --live). A handler, not a blocked mask: RocksDB's background threads
// start before any command runs and do not block these signals, so a
// signal may land on any thread; the handler turns it into a byte on a
// pipe that Wait reads.
#pragma once

#include <csignal>

namespace weft::cli {

class StopSignals {
 public:
  StopSignals();   // installs the handlers (one StopSignals at a time)
  ~StopSignals();  // puts the previous handlers back
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Blocks until SIGINT, SIGTERM or Cancel().
  void Wait();
  // Waits at most `milliseconds`: true if stopped meanwhile.
  bool WaitFor(int milliseconds);
  // Wakes Wait (from another thread) without a signal.
  void Cancel();
  // Also catches SIGHUP (serve rereads its peers file on it); TakeHangup
  // tells whether one came since it was last asked.
  void CatchHangup();
  bool TakeHangup();

 private:
  struct sigaction previous_int_, previous_term_, previous_hup_;
  bool catching_hangup_ = false;
};

}  // namespace weft::cli
