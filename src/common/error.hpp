#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace cxagent {

//! The kind of an error; decides the CLI exit code and the HTTP status.
enum class ErrorType {
  INVALID_INPUT,       //!< the user's input (file, flag, parameter, body) is malformed
  NOT_FOUND,           //!< a named thing (file, incident, route) does not exist
  CONFLICT,            //!< the request clashes with the current state
  UNAUTHORIZED,        //!< a required credential is missing or wrong
  PAYLOAD_TOO_LARGE,   //!< a request body or input exceeds a size limit
  METHOD_NOT_ALLOWED,  //!< an HTTP route exists but not for this method
  NOT_IMPLEMENTED,     //!< the capability is not built yet
  IO,                  //!< reading or writing a file failed
  INTERNAL,            //!< a bug or an unexpected library failure
};

//! The one exception type of the project: a type plus a formatted, user-readable message.
class Error : public std::runtime_error {
 public:
  //! Builds an error of the given type with an already formatted message.
  Error(ErrorType type, std::string message)
      : std::runtime_error(std::move(message)), type_(type) {}

  //! Builds an error whose message is formatted with fmt.
  template <typename... Args>
  Error(ErrorType type, fmt::format_string<Args...> format, Args&&... args)
      : Error(type, fmt::format(format, std::forward<Args>(args)...)) {}

  //! The kind of error.
  ErrorType Type() const { return type_; }

 private:
  ErrorType type_;
};

//! Shorthand for an InvalidInput error with a formatted message.
template <typename... Args>
Error InvalidInput(fmt::format_string<Args...> format, Args&&... args) {
  return Error(ErrorType::INVALID_INPUT, fmt::format(format, std::forward<Args>(args)...));
}

//! Shorthand for a NotFound error with a formatted message.
template <typename... Args>
Error NotFound(fmt::format_string<Args...> format, Args&&... args) {
  return Error(ErrorType::NOT_FOUND, fmt::format(format, std::forward<Args>(args)...));
}

//! Shorthand for an Io error with a formatted message.
template <typename... Args>
Error IoError(fmt::format_string<Args...> format, Args&&... args) {
  return Error(ErrorType::IO, fmt::format(format, std::forward<Args>(args)...));
}

//! Shorthand for an Internal error with a formatted message.
template <typename... Args>
Error InternalError(fmt::format_string<Args...> format, Args&&... args) {
  return Error(ErrorType::INTERNAL, fmt::format(format, std::forward<Args>(args)...));
}

//! The CLI exit code for an error type: 2 for bad usage or input, 1 for anything else.
int ExitCode(ErrorType type);

//! The HTTP status for an error type (400, 401, 404, 405, 409, 413, 501, 500).
int HttpStatus(ErrorType type);

//! The stable lower-case code used in JSON error bodies, e.g. "invalid_input".
std::string_view ErrorCode(ErrorType type);

//! `text` made safe to print as one line of valid UTF-8: a line break becomes " | ", other
//! control bytes (NUL included) and bytes that are not valid UTF-8 become `\xNN`, and text longer
//! than `max_bytes` is cut at a character boundary and ends with "... (N more bytes)".
std::string OneLine(std::string_view text, size_t max_bytes = 1000);

//! The length of the valid UTF-8 sequence at the start of `text` (1 to 4), or 0 when the first
//! byte does not start one (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8SequenceLength(std::string_view text);

//! True when `text` is entirely valid UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace cxagent
