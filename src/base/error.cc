#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace ipfskit {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kCorruption: return "corruption";
    case Code::kIOError: return "io_error";
    case Code::kUnavailable: return "unavailable";
    case Code::kTimeout: return "timeout";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kUnsupported: return "unsupported";
    case Code::kResourceExhausted: return "resource_exhausted";
    case Code::kCancelled: return "cancelled";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

std::optional<Code> code_by_name(std::string_view name) {
  for (int c = static_cast<int>(Code::kInvalidArgument); c <= static_cast<int>(Code::kInternal); ++c)
    if (code_name(static_cast<Code>(c)) == name) return static_cast<Code>(c);
  return std::nullopt;
}

int http_status(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists: return 409;
    case Code::kCorruption: return 502;  // the data we hold or were sent is bad
    case Code::kIOError: return 500;
    case Code::kUnavailable: return 503;
    case Code::kTimeout: return 504;
    case Code::kPermissionDenied: return 403;
    case Code::kUnsupported: return 501;
    case Code::kResourceExhausted: return 413;
    case Code::kCancelled: return 499;
    case Code::kInternal: return 500;
  }
  return 500;
}

int exit_status(Code code) {
  // 1 stays the generic failure most scripts test for; specific codes let
  // scripts tell a missing CID from a bad argument.
  switch (code) {
    case Code::kInvalidArgument: return 2;
    case Code::kNotFound: return 3;
    case Code::kCorruption: return 4;
    case Code::kIOError: return 5;
    case Code::kUnavailable: return 6;
    case Code::kTimeout: return 7;
    case Code::kPermissionDenied: return 8;
    case Code::kUnsupported: return 9;
    case Code::kAlreadyExists: return 10;
    case Code::kResourceExhausted: return 11;
    case Code::kCancelled: return 130;
    case Code::kInternal: return 70;
  }
  return 1;
}

Error Error::wrap(std::string_view context) const {
  std::string m(context);
  m += ": ";
  m += message_;
  return Error(code_, std::move(m));
}

Error errno_error(std::string_view what, int err) {
  Code code = Code::kIOError;
  switch (err) {
    case ENOENT:
    case ENOTDIR: code = Code::kNotFound; break;
    case EACCES:
    case EPERM: code = Code::kPermissionDenied; break;
    case EEXIST: code = Code::kAlreadyExists; break;
    case ENOSPC:
    case EMFILE:
    case ENFILE:
    case EDQUOT: code = Code::kResourceExhausted; break;
    case EINTR: code = Code::kCancelled; break;
    case ETIMEDOUT: code = Code::kTimeout; break;
    default: break;
  }
  std::string m(what);
  m += ": ";
  m += std::strerror(err);
  return Error(code, std::move(m));
}

Error errno_error(std::string_view what) { return errno_error(what, errno); }

}  // namespace ipfskit
