#include "stop_signals.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace weft::cli {
namespace {

int stop_pipe[2] = {-1, -1};
volatile sig_atomic_t hangup = 0;

void OnHangup(int) { hangup = 1; }

void OnStopSignal(int) {
  int saved = errno;  // write may change it; the interrupted code may not
  char byte = 's';
  (void)!write(stop_pipe[1], &byte, 1);
  errno = saved;
}

}  // namespace

StopSignals::StopSignals() {
  if (pipe(stop_pipe) != 0) stop_pipe[0] = stop_pipe[1] = -1;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  if (catching_hangup_) sigaction(SIGHUP, &previous_hup_, nullptr);
  close(stop_pipe[0]);
  close(stop_pipe[1]);
  stop_pipe[0] = stop_pipe[1] = -1;
}

void StopSignals::Wait() {
  char byte;
  while (read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
}

bool StopSignals::WaitFor(int milliseconds) {
  pollfd stop{stop_pipe[0], POLLIN, 0};
  int ready;
  while ((ready = poll(&stop, 1, milliseconds)) < 0 && errno == EINTR) {
  }
  if (ready <= 0) return false;
  Wait();  // takes the byte
  return true;
}

void StopSignals::Cancel() { OnStopSignal(0); }

void StopSignals::CatchHangup() {
  struct sigaction action {};
  action.sa_handler = OnHangup;
  sigemptyset(&action.sa_mask);
  sigaction(SIGHUP, &action, &previous_hup_);
  catching_hangup_ = true;
  hangup = 0;
}

bool StopSignals::TakeHangup() {
  if (!hangup) return false;
  hangup = 0;
  return true;
}

}  // namespace weft::cli
