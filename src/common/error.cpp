#include "common/error.hpp"

#include <array>

namespace cxagent {

namespace {

struct ErrorMapping {
  ErrorType type;
  int exit_code;
  int http_status;
  std::string_view code;
};

// The single table that maps error types to CLI exit codes and HTTP statuses.
constexpr std::array<ErrorMapping, 9> ERROR_MAPPINGS{{
    {ErrorType::INVALID_INPUT, 2, 400, "invalid_input"},
    {ErrorType::NOT_FOUND, 2, 404, "not_found"},
    {ErrorType::CONFLICT, 1, 409, "conflict"},
    {ErrorType::UNAUTHORIZED, 2, 401, "unauthorized"},
    {ErrorType::PAYLOAD_TOO_LARGE, 2, 413, "payload_too_large"},
    {ErrorType::METHOD_NOT_ALLOWED, 2, 405, "method_not_allowed"},
    {ErrorType::NOT_IMPLEMENTED, 1, 501, "not_implemented"},
    {ErrorType::IO, 1, 500, "io_error"},
    {ErrorType::INTERNAL, 1, 500, "internal"},
}};

const ErrorMapping& Lookup(ErrorType type) {
  for (const auto& mapping : ERROR_MAPPINGS) {
    if (mapping.type == type) return mapping;
  }
  return ERROR_MAPPINGS.back();
}

}  // namespace

int ExitCode(ErrorType type) {
  return Lookup(type).exit_code;
}

int HttpStatus(ErrorType type) {
  return Lookup(type).http_status;
}

std::string_view ErrorCode(ErrorType type) {
  return Lookup(type).code;
}

}  // namespace cxagent
