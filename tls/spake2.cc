// SPAKE2 over P-256 with OpenSSL's EC_POINT arithmetic (see spake2.h).
#include "tls/spake2.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#include <algorithm>

namespace weft::tls {
namespace {

constexpr size_t kShareBytes = 65;  // an uncompressed P-256 point
constexpr size_t kConfirmationBytes = 32;

std::string Sha256(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof(digest));
}

std::string Hmac(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       mac, &size);
  return std::string(reinterpret_cast<char*>(mac), size);
}

void AppendFramed(std::string* out, std::string_view part) {
  uint32_t size = static_cast<uint32_t>(part.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>(size >> shift));
  }
  out->append(part);
}

}  // namespace

// The group, the key's scalar w, this end's secret and the two fixed
// points, with their OpenSSL lifetimes.
struct Spake2::Group {
  Group()
      : ctx(BN_CTX_new()),
        group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) {}
  ~Group() {
    EC_POINT_free(m);
    EC_POINT_free(n);
    BN_clear_free(w);
    BN_clear_free(secret);
    EC_GROUP_free(group);
    BN_CTX_free(ctx);
  }
  // The first point whose x is SHA-256(label, counter).
  EC_POINT* HashToPoint(const std::string& label) {
    for (uint32_t counter = 0; counter < 1000; ++counter) {
      std::string input = label;
      AppendFramed(&input, std::to_string(counter));
      std::string digest = Sha256(input);
      BIGNUM* x =
          BN_bin2bn(reinterpret_cast<const unsigned char*>(digest.data()),
                    static_cast<int>(digest.size()), nullptr);
      EC_POINT* point = EC_POINT_new(group);
      bool found =
          x != nullptr && point != nullptr &&
          EC_POINT_set_compressed_coordinates(group, point, x, 0, ctx) == 1;
      BN_free(x);
      if (found) return point;
      EC_POINT_free(point);
      ERR_clear_error();
    }
    return nullptr;
  }
  // A point from Encode's bytes; null if they are not one.
  EC_POINT* Decode(std::string_view bytes) {
    EC_POINT* point = EC_POINT_new(group);
    if (point != nullptr &&
        EC_POINT_oct2point(group, point,
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           bytes.size(), ctx) != 1) {
      EC_POINT_free(point);
      ERR_clear_error();
      return nullptr;
    }
    return point;
  }
  std::string Encode(const EC_POINT* point) {
    std::string bytes(kShareBytes, '\0');
    size_t size = EC_POINT_point2oct(
        group, point, POINT_CONVERSION_UNCOMPRESSED,
        reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), ctx);
    bytes.resize(size);
    return bytes;
  }

  BN_CTX* const ctx;
  EC_GROUP* const group;
  EC_POINT* m = nullptr;
  EC_POINT* n = nullptr;
  BIGNUM* w = nullptr;
  BIGNUM* secret = nullptr;
};

// M (0) and N (1), hashed to the curve once per process (the search for a
// point takes square roots; every session needs the same two).
const std::string& Spake2::FixedPoint(int which) {
  static const std::string* const kPoints = [] {
    Group g;
    auto* points = new std::string[2];
    EC_POINT* m = g.group ? g.HashToPoint("weft spake2 M") : nullptr;
    EC_POINT* n = g.group ? g.HashToPoint("weft spake2 N") : nullptr;
    if (m != nullptr) points[0] = g.Encode(m);
    if (n != nullptr) points[1] = g.Encode(n);
    EC_POINT_free(m);
    EC_POINT_free(n);
    return points;
  }();
  return kPoints[which];
}

Result<std::unique_ptr<Spake2>> Spake2::New(bool initiator,
                                            std::string_view key,
                                            std::string binding) {
  if (key.empty()) return Status::InvalidArgument("SPAKE2 needs a key");
  std::unique_ptr<Spake2> exchange(new Spake2(initiator, std::move(binding)));
  Group& g = *exchange->group_;
  const BIGNUM* order = g.group ? EC_GROUP_get0_order(g.group) : nullptr;
  g.m = order ? g.Decode(FixedPoint(0)) : nullptr;
  g.n = order ? g.Decode(FixedPoint(1)) : nullptr;
  std::string w = Sha256(std::string("weft spake2 w") + std::string(key));
  g.w = BN_bin2bn(reinterpret_cast<const unsigned char*>(w.data()),
                  static_cast<int>(w.size()), nullptr);
  g.secret = BN_new();
  EC_POINT* share = order ? EC_POINT_new(g.group) : nullptr;
  bool made = g.ctx && order && g.m && g.n && g.w && g.secret && share &&
              BN_nnmod(g.w, g.w, order, g.ctx) == 1;
  while (made && BN_is_zero(g.secret)) {
    made = BN_priv_rand_range(g.secret, order) == 1;
  }
  // Share = secret*G + w*M (initiator) or secret*G + w*N (responder).
  made = made && EC_POINT_mul(g.group, share, g.secret, initiator ? g.m : g.n,
                              g.w, g.ctx) == 1;
  if (made) exchange->my_share_ = g.Encode(share);
  EC_POINT_free(share);
  if (!made || exchange->my_share_.size() != kShareBytes) {
    ERR_clear_error();
    return Status::IOError("SPAKE2: cannot set up the exchange");
  }
  if (initiator) exchange->output_ = exchange->my_share_;
  return exchange;
}

Spake2::Spake2(bool initiator, std::string binding)
    : initiator_(initiator),
      binding_(std::move(binding)),
      group_(std::make_unique<Group>()) {}

Spake2::~Spake2() = default;

Result<size_t> Spake2::Feed(std::string_view bytes) {
  size_t used = 0;
  while (state_ == State::kShare || state_ == State::kConfirm) {
    size_t need = state_ == State::kShare ? kShareBytes : kConfirmationBytes;
    size_t take = std::min(need - input_.size(), bytes.size() - used);
    input_.append(bytes.substr(used, take));
    used += take;
    if (input_.size() < need) break;
    std::string message;
    message.swap(input_);
    Status status =
        state_ == State::kShare ? OnShare(message) : OnConfirmation(message);
    if (!status.ok()) {
      state_ = State::kFailed;
      return status;
    }
  }
  return used;
}

std::string Spake2::TakeOutput() {
  std::string out;
  out.swap(output_);
  return out;
}

Status Spake2::OnShare(std::string_view share) {
  Group& g = *group_;
  EC_POINT* peer = g.Decode(share);  // on the curve, or null
  EC_POINT* unblinded = EC_POINT_new(g.group);
  EC_POINT* shared = EC_POINT_new(g.group);
  // K = secret * (peer share - w * the peer's blinding point).
  bool ok =
      peer && unblinded && shared && !EC_POINT_is_at_infinity(g.group, peer) &&
      EC_POINT_mul(g.group, unblinded, nullptr, initiator_ ? g.n : g.m, g.w,
                   g.ctx) == 1 &&
      EC_POINT_invert(g.group, unblinded, g.ctx) == 1 &&
      EC_POINT_add(g.group, unblinded, peer, unblinded, g.ctx) == 1 &&
      EC_POINT_mul(g.group, shared, nullptr, unblinded, g.secret, g.ctx) == 1 &&
      !EC_POINT_is_at_infinity(g.group, shared);
  std::string k = ok ? g.Encode(shared) : "";
  EC_POINT_free(peer);
  EC_POINT_free(unblinded);
  EC_POINT_free(shared);
  if (!ok || k.size() != kShareBytes) {
    ERR_clear_error();
    return Status::Corruption("sync: the peer's key share is not a point");
  }
  std::string w(32, '\0');
  BN_bn2binpad(g.w, reinterpret_cast<unsigned char*>(w.data()), 32);
  std::string transcript = "weft-spake2-v1";
  AppendFramed(&transcript, initiator_ ? my_share_ : share);
  AppendFramed(&transcript, initiator_ ? share : my_share_);
  AppendFramed(&transcript, k);
  AppendFramed(&transcript, w);
  AppendFramed(&transcript, binding_);
  std::string secret = Sha256(transcript);
  OPENSSL_cleanse(k.data(), k.size());
  OPENSSL_cleanse(w.data(), w.size());
  std::string initiators = Hmac(secret, "weft-spake2 initiator confirms");
  std::string responders = Hmac(secret, "weft-spake2 responder confirms");
  OPENSSL_cleanse(secret.data(), secret.size());
  confirm_mine_ = initiator_ ? initiators : responders;
  confirm_peer_ = initiator_ ? responders : initiators;
  // The responder answers the share with its own; its confirmation waits
  // for the initiator's (nothing checkable leaves it before that).
  output_ += initiator_ ? confirm_mine_ : my_share_;
  state_ = State::kConfirm;
  return Status::OK();
}

Status Spake2::OnConfirmation(std::string_view confirmation) {
  if (confirmation.size() != confirm_peer_.size() ||
      CRYPTO_memcmp(confirmation.data(), confirm_peer_.data(),
                    confirm_peer_.size()) != 0) {
    // The responder answers a wrong confirmation with a refusal (zeros,
    // nothing derived from the key), so the initiator learns it too.
    if (!initiator_) output_ += std::string(kConfirmationBytes, '\0');
    return Status::InvalidArgument(
        "sync: authentication failed: the peer does not hold the key");
  }
  if (!initiator_) output_ += confirm_mine_;
  state_ = State::kDone;
  return Status::OK();
}

}  // namespace weft::tls
