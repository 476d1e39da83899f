// Spake2: a password-authenticated key exchange (SPAKE2, RFC 9382's
// construction over P-256) by which two ends prove they hold the same
// pre-shared key, run inside the TLS channel and bound to it. Unlike a
// challenge-response, nothing either end sends can be checked against a
// guessed key offline: the shares are blinded by the key and uniformly
// distributed whatever it is, and the confirmations need the secret a
// guess cannot give without taking part in a session (one guess per
// connection, which the peer sees fail).
//
// The exchange, A the initiator, B the responder, w = the key hashed to a
// scalar, M and N fixed points of unknown discrete log:
//   A -> B  pA = x*G + w*M              65 bytes (uncompressed point)
//   B -> A  pB = y*G + w*N              65 bytes
//   A -> B  cA = HMAC(kA, transcript)   32 bytes
//   B -> A  cB = HMAC(kB, transcript)   32 bytes, only once cA verified
// K = x*(pB - w*N) = y*(pA - w*M); the transcript is pA, pB, K, w and the
// TLS channel's exporter value, so confirmations made for one TLS
// connection fail on another (a relay between two connections learns
// nothing it can use). M and N are the first points of P-256 whose x is
// SHA-256("weft spake2 M" or "... N", counter): nobody knows their logs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::tls {

class Spake2 {
 public:
  // `binding`: the TLS exporter value of the channel it runs in.
  static Result<std::unique_ptr<Spake2>> New(bool initiator,
                                             std::string_view key,
                                             std::string binding);
  ~Spake2();
  Spake2(const Spake2&) = delete;
  Spake2& operator=(const Spake2&) = delete;

  // Takes bytes from the peer (any chunking); returns how many it used
  // (the rest belongs to what follows the exchange). InvalidArgument
  // ("authentication failed") when the peer's confirmation is wrong;
  // Corruption for a share that is not a point.
  Result<size_t> Feed(std::string_view bytes);
  // What to send the peer next.
  std::string TakeOutput();
  // Both confirmations checked (the initiator) or sent (the responder).
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kShare, kConfirm, kDone, kFailed };
  struct Group;
  Spake2(bool initiator, std::string binding);
  // The encoded fixed point M (0) or N (1); empty if it could not be made.
  static const std::string& FixedPoint(int which);
  Status OnShare(std::string_view share);
  Status OnConfirmation(std::string_view confirmation);

  const bool initiator_;
  const std::string binding_;
  std::unique_ptr<Group> group_;
  State state_ = State::kShare;
  std::string input_;
  std::string output_;
  std::string my_share_;
  std::string confirm_mine_, confirm_peer_;  // expected values
};

}  // namespace weft::tls
