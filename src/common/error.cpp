#include "common/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

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

size_t Utf8SequenceLength(std::string_view text) {
  if (text.empty()) return 0;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char first = byte(0);
  if (first < 0x80) return 1;
  size_t length = 0;
  uint32_t min = 0;
  uint32_t code = 0;
  if ((first & 0xE0) == 0xC0) {
    length = 2, min = 0x80, code = first & 0x1F;
  } else if ((first & 0xF0) == 0xE0) {
    length = 3, min = 0x800, code = first & 0x0F;
  } else if ((first & 0xF8) == 0xF0) {
    length = 4, min = 0x10000, code = first & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    const size_t length = Utf8SequenceLength(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::string OneLine(std::string_view text, size_t max_bytes) {
  // Trailing line breaks and spaces say nothing; inner ones join the parts of the line.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::string line;
  line.reserve(std::min(text.size(), max_bytes) + 32);
  size_t i = 0;
  while (i < text.size()) {
    std::string piece;
    size_t used = 1;
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      piece = " | ", used = 2;
    } else if (c == '\n' || c == '\r') {
      piece = " | ";
    } else if (c == '\t') {
      piece = " ";
    } else if (c < 0x20 || c == 0x7F) {
      piece = fmt::format("\\x{:02X}", c);
    } else if (const size_t length = Utf8SequenceLength(text.substr(i)); length > 0) {
      piece = std::string(text.substr(i, length)), used = length;
    } else {
      piece = fmt::format("\\x{:02X}", c);
    }
    if (line.size() + piece.size() > max_bytes) {
      return line + fmt::format("... ({} more bytes)", text.size() - i);
    }
    line += piece;
    i += used;
  }
  return line;
}

}  // namespace cxagent
