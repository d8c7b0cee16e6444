// Error messages as one printable line of bounded length: a user's 50 MB string or a control
// character in a name is never echoed raw, and a library's multi-line text fits one line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hybridnet {

/// Maximum characters of a message (about four terminal lines).
inline constexpr size_t kMaxMessageLength = 300;

/// `text` with line breaks joined by "; ", other control characters as \xNN, and anything past
/// `max_length` characters replaced by "... (N more characters)".
std::string message_line(std::string_view text, size_t max_length = kMaxMessageLength);

}  // namespace hybridnet
