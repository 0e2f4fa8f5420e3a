// Errors as values.
//
// Every fallible operation returns Result<T> = tl::expected<T, Error>. An Error
// carries a Code (what kind of failure, chosen so that callers can act on it)
// and a message with enough context for a human to act on it (which file,
// which CID, which byte offset). The same Code becomes the HTTP status of an
// API response, the exit status of a CLI command and the code of a JSON-RPC
// error: see http_status() and exit_status().
//
// Exceptions are not used on our own paths. Third-party code that throws
// (nlohmann::json, CLI11, std::filesystem) is wrapped where it is called.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace ipfskit {

enum class Code : int {
  kInvalidArgument = 1,  // malformed input from the caller: a bad CID, flag, request
  kNotFound,             // a block, pin, file or key that does not exist
  kAlreadyExists,        // creating something that is already there
  kCorruption,           // stored or received data failed verification
  kIOError,              // the operating system refused a read or write
  kUnavailable,          // a service (daemon, backend) is not reachable now
  kTimeout,              // gave up waiting
  kPermissionDenied,     // missing or wrong credentials, or a path outside bounds
  kUnsupported,          // valid input that we do not implement (a codec, a hash)
  kResourceExhausted,    // a size or count limit was exceeded
  kCancelled,            // the operation was interrupted on request
  kInternal,             // a bug: an invariant did not hold
};

// A stable lower-case name for the code, used on the wire (JSON "Code" fields).
std::string_view code_name(Code code);
// The code with this name; nullopt for an unknown name.
std::optional<Code> code_by_name(std::string_view name);

// The HTTP status that reports this code (invalid input 400, missing 404, ...).
int http_status(Code code);

// The process exit status a CLI command returns for this code. Never 0.
int exit_status(Code code);

class Error {
 public:
  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "context: message", keeping the code.
  Error wrap(std::string_view context) const;

 private:
  Code code_;
  std::string message_;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Status is the Result of an operation with no value.
using Status = Result<void>;

inline tl::unexpected<Error> make_error(Code code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}

inline tl::unexpected<Error> invalid_argument(std::string message) {
  return make_error(Code::kInvalidArgument, std::move(message));
}
inline tl::unexpected<Error> not_found(std::string message) {
  return make_error(Code::kNotFound, std::move(message));
}
inline tl::unexpected<Error> corruption(std::string message) {
  return make_error(Code::kCorruption, std::move(message));
}
inline tl::unexpected<Error> io_error(std::string message) {
  return make_error(Code::kIOError, std::move(message));
}
inline tl::unexpected<Error> unsupported(std::string message) {
  return make_error(Code::kUnsupported, std::move(message));
}
inline tl::unexpected<Error> internal_error(std::string message) {
  return make_error(Code::kInternal, std::move(message));
}

// Converts errno into an Error: the single place where errno becomes a value.
// `what` names the operation and its object, e.g. "open /tmp/x".
Error errno_error(std::string_view what, int err);
Error errno_error(std::string_view what);  // uses the current errno

}  // namespace ipfskit

// Propagates the error of an expression returning Result<T>; evaluates to the
// value otherwise. Usage: auto cid = TRY(Cid::parse(text));
#define IPFSKIT_CONCAT_INNER(a, b) a##b
#define IPFSKIT_CONCAT(a, b) IPFSKIT_CONCAT_INNER(a, b)
// (A GNU statement expression, supported by g++ and clang.)
#define TRY(expr) IPFSKIT_TRY_IMPL(expr, IPFSKIT_CONCAT(try_result_, __COUNTER__))
#define IPFSKIT_TRY_IMPL(expr, var)                                            \
  __extension__({                                                              \
    auto&& var = (expr);                                                       \
    if (!var) return tl::unexpected<::ipfskit::Error>(std::move(var.error())); \
    std::move(*var);                                                           \
  })

// Propagates the error of any Result, discarding its value, as a statement.
#define TRY_STATUS(expr)                                                       \
  do {                                                                         \
    auto&& IPFSKIT_CONCAT(try_status_, __LINE__) = (expr);                     \
    if (!IPFSKIT_CONCAT(try_status_, __LINE__))                                \
      return tl::unexpected<::ipfskit::Error>(                                 \
          std::move(IPFSKIT_CONCAT(try_status_, __LINE__).error()));           \
  } while (0)
