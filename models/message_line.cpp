#include "models/message_line.h"

#include <cstdio>

namespace hybridnet {

std::string message_line(std::string_view text, size_t max_length) {
  std::string out;
  size_t used = 0;  // characters of `text` consumed
  for (; used < text.size() && out.size() < max_length; ++used) {
    const unsigned char c = static_cast<unsigned char>(text[used]);
    if (c == '\n' || c == '\r') {
      while (used + 1 < text.size() && (text[used + 1] == '\n' || text[used + 1] == '\r')) ++used;
      if (used + 1 < text.size() && !out.empty()) out += "; ";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (used < text.size())
    out += "... (" + std::to_string(text.size() - used) + " more characters)";
  return out;
}

}  // namespace hybridnet
