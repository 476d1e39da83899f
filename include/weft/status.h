// Status and Result<T>: how every weft call reports success or failure.
//
// A Status is either OK (it then holds no allocation) or carries a code and a
// message naming what was wrong and where. Project code never throws across
// module boundaries; it returns one of these instead.
//
// Thread safety: distinct objects may be used from distinct threads freely.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace weft {

// The outcome of an operation: OK, or a code and a message. Every function
// that can fail across a module boundary returns one (never throws).
class [[nodiscard]] Status {
 public:
  // What kind of failure (the C API's weft_code has the same numbers).
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound = 1,
    kCorruption = 2,  // bytes on disk or from a peer are invalid
    kNotSupported = 3,
    kInvalidArgument = 4,  // the caller asked for something invalid
    kIOError = 5,
    kAlreadyExists = 6,  // e.g. a change that is already stored
    kConflict = 7,       // optimistic concurrency: the heads moved
    kBusy = 8,           // a bound is full or the database is locked
  };

  Status() noexcept = default;
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  // A status of each code; the message is `msg`, then ": `msg2`" if given.
  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kNotFound, msg, msg2);
  }
  static Status Corruption(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kCorruption, msg, msg2);
  }
  static Status NotSupported(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kNotSupported, msg, msg2);
  }
  static Status InvalidArgument(std::string_view msg,
                                std::string_view msg2 = {}) {
    return Status(Code::kInvalidArgument, msg, msg2);
  }
  static Status IOError(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kIOError, msg, msg2);
  }
  static Status AlreadyExists(std::string_view msg,
                              std::string_view msg2 = {}) {
    return Status(Code::kAlreadyExists, msg, msg2);
  }
  static Status Conflict(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kConflict, msg, msg2);
  }
  static Status Busy(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kBusy, msg, msg2);
  }

  // The code, and one test for each.
  bool ok() const { return state_ == nullptr; }
  Code code() const { return state_ ? state_->code : Code::kOk; }
  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsCorruption() const { return code() == Code::kCorruption; }
  bool IsNotSupported() const { return code() == Code::kNotSupported; }
  bool IsInvalidArgument() const { return code() == Code::kInvalidArgument; }
  bool IsIOError() const { return code() == Code::kIOError; }
  bool IsAlreadyExists() const { return code() == Code::kAlreadyExists; }
  bool IsConflict() const { return code() == Code::kConflict; }
  bool IsBusy() const { return code() == Code::kBusy; }

  // The message alone ("" when OK).
  const std::string& message() const;
  // "Corruption: <message>", or "OK".
  std::string ToString() const;

  // Marks a deliberately ignored status, so that every place that swallows an
  // error can be found by searching for this name.
  void PermitUncheckedError() const {}

 private:
  struct State {
    Code code;
    std::string message;
  };
  Status(Code code, std::string_view msg, std::string_view msg2);

  std::unique_ptr<State> state_;
};

// The code's name as ToString writes it ("NotFound").
const char* StatusCodeName(Status::Code code);

// Either a value of type T or a non-OK Status, like absl::StatusOr<T>.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : rep_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : rep_(std::move(status)) {}  // NOLINT
  // REQUIRES: !status.ok() for the Status constructor (checked by ok()).

  bool ok() const { return std::holds_alternative<T>(rep_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(rep_); }
  // REQUIRES: ok().
  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> rep_;
};

}  // namespace weft

#define WEFT_STATUS_CONCAT_INNER(a, b) a##b
#define WEFT_STATUS_CONCAT(a, b) WEFT_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define WEFT_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::weft::Status weft_status_ = (expr);        \
    if (!weft_status_.ok()) return weft_status_; \
  } while (0)

// `WEFT_ASSIGN_OR_RETURN(auto x, MakeX());` binds the value of a Result or
// returns its Status from the enclosing function.
#define WEFT_ASSIGN_OR_RETURN(lhs, expr)                                      \
  WEFT_ASSIGN_OR_RETURN_IMPL(WEFT_STATUS_CONCAT(weft_result_, __LINE__), lhs, \
                             expr)
#define WEFT_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                               \
  if (!result.ok()) return result.status();           \
  lhs = std::move(result).value()
