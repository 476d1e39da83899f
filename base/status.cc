#include "weft/status.h"

namespace weft {

Status::Status(Code code, std::string_view msg, std::string_view msg2)
    : state_(std::make_unique<State>()) {
  state_->code = code;
  state_->message.assign(msg);
  if (!msg2.empty()) {
    state_->message.append(": ");
    state_->message.append(msg2);
  }
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) {
    state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  }
  return *this;
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code())) + ": " + state_->message;
}

const char* StatusCodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kNotFound:
      return "NotFound";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kNotSupported:
      return "NotSupported";
    case Status::Code::kInvalidArgument:
      return "InvalidArgument";
    case Status::Code::kIOError:
      return "IOError";
    case Status::Code::kAlreadyExists:
      return "AlreadyExists";
    case Status::Code::kConflict:
      return "Conflict";
    case Status::Code::kBusy:
      return "Busy";
  }
  return "Unknown";
}

}  // namespace weft
