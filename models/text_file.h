// Writing a text file (JSON, SVG, HTML, README) so that a crash or a full disk never leaves a
// truncated file behind: the text goes to PATH.tmp, which then replaces PATH.
#pragma once

#include <string>

namespace hybridnet {

/// Writes `text` to `path` atomically; DataError naming the file when it cannot be written.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace hybridnet
