#include "base/status.h"

#include <cstring>

namespace kiln {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kAlreadyExists: return "already exists";
    case Code::kIOError: return "I/O error";
    case Code::kCorruption: return "corruption";
    case Code::kUnimplemented: return "not implemented";
    case Code::kPermissionDenied: return "permission denied";
    case Code::kUnavailable: return "unavailable";
    case Code::kCancelled: return "cancelled";
    case Code::kFailedPrecondition: return "failed precondition";
    case Code::kInternal: return "internal error";
  }
  return "unknown";
}

Status Status::FromErrno(int err, const std::string& op, const std::string& operand) {
  std::string m = op;
  if (!operand.empty()) m += " `" + operand + "`";
  m += ": ";
  m += std::strerror(err);
  Status s(Code::kIOError, std::move(m));
  s.errno_ = err;
  return s;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  Status s = *this;
  s.message_ = context + ": " + message_;
  return s;
}

Status Status::WithLocation(SourceLocation loc) const {
  Status s = *this;
  s.location_ = std::move(loc);
  return s;
}

Status Status::WithHint(std::string hint) const {
  Status s = *this;
  s.hint_ = std::move(hint);
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out;
  if (location_.known()) {
    out = location_.file + ":" + std::to_string(location_.line);
    if (location_.column > 0) out += ":" + std::to_string(location_.column);
    out += ": ";
  }
  out += message_;
  if (!hint_.empty()) out += "\n  hint: " + hint_;
  return out;
}

}  // namespace kiln
