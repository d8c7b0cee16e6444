// Writing files so that a crash or a full disk never leaves a truncated file where a good one
// was, and never writes through a link: the bytes go to a fresh PATH.tmp (created exclusively,
// so a link planted under that name is not followed), are flushed to disk, and the temporary
// then replaces PATH by a rename (which replaces a link named PATH, never its target).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hybridnet {

/// Writes `contents` (text or binary) to `path` atomically. DataError naming the file and the
/// reason ("No space left on device (disk full)") when it cannot; the temporary is removed and
/// an existing `path` is left as it was.
void write_file_atomic(const std::string& path, const std::string& contents);

/// Writes several files as one checkpoint: every temporary is written and flushed first, and
/// only when all succeeded do the renames replace the files (in order). A full disk therefore
/// leaves every old file in place, never a new file beside an old one.
void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& path_contents);

/// Copies the regular file `from` to `to` the same way (DataError naming the failing file).
void copy_file_atomic(const std::string& from, const std::string& to);

}  // namespace hybridnet
