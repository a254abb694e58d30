// Status and Result<T>: errors as values, never exceptions across modules.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace kiln {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // bad user input (Dockerfile, flags, references)
  kNotFound,
  kAlreadyExists,
  kIOError,           // a syscall or file operation failed
  kCorruption,        // data does not match its digest or format
  kUnimplemented,
  kPermissionDenied,  // authentication / authorisation
  kUnavailable,       // transient: network, registry 5xx
  kCancelled,
  kFailedPrecondition,
  kInternal,
};

const char* CodeName(Code code);

// Where in a source file an error points (1-based; 0 = unknown).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  bool known() const { return line > 0; }
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  // An IOError from errno: "OP `operand`: strerror(err)". The errno is kept (sys_errno()), so
  // callers can tell ENOENT from EACCES without parsing the message.
  static Status FromErrno(int err, const std::string& op, const std::string& operand = "");

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  // The errno a FromErrno status was made from (kept through WithContext/Location/Hint); 0 if none.
  int sys_errno() const { return errno_; }
  bool IsErrno(int err) const { return err != 0 && errno_ == err; }
  const std::string& message() const { return message_; }
  const SourceLocation& location() const { return location_; }
  const std::string& hint() const { return hint_; }

  // Prepends "context: " to the message, keeping the code.
  Status WithContext(const std::string& context) const;
  Status WithLocation(SourceLocation loc) const;
  Status WithHint(std::string hint) const;

  // "file:line:col: message" (+ "\n  hint: ..."), or just the message.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  SourceLocation location_;
  std::string hint_;
  int errno_ = 0;
};

// A value or an error Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kiln

#define KILN_CONCAT_INNER_(a, b) a##b
#define KILN_CONCAT_(a, b) KILN_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                 \
  do {                                        \
    ::kiln::Status _kiln_st = (expr);         \
    if (!_kiln_st.ok()) return _kiln_st;      \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, Foo()); ASSIGN_OR_RETURN(x, Foo());
#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL_(KILN_CONCAT_(_kiln_res_, __LINE__), lhs, expr)
