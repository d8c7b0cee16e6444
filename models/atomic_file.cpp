#include "models/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "models/error.h"

namespace hybridnet {

namespace {

std::string reason(int error) {
  std::string r = std::strerror(error);
  if (error == ENOSPC || error == EDQUOT) r += " (disk full)";
  return r;
}

// Writes all of `data` to `fd`; false with errno set on failure.
bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Writes `contents` to PATH.tmp and flushes it; DataError naming `path` on failure, the
// temporary removed.
void write_temporary(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // a leftover of a crash (or a planted link: unlink removes the link)
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw DataError(path + ": cannot write: " + reason(errno));
  // A full disk may show only at fsync or close (delayed allocation), so both are checked.
  if (!write_all(fd, contents.data(), contents.size()) || ::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw DataError(path + ": write failed: " + reason(error));
  }
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    throw DataError(path + ": write failed: " + reason(error));
  }
}

void replace_with_temporary(const std::string& path) {
  const std::string tmp = path + ".tmp";
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    throw DataError(path + ": cannot replace the file: " + reason(error));
  }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& contents) {
  write_temporary(path, contents);
  replace_with_temporary(path);
}

void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& path_contents) {
  for (size_t i = 0; i < path_contents.size(); ++i) {
    try {
      write_temporary(path_contents[i].first, path_contents[i].second);
    } catch (const DataError&) {
      for (size_t j = 0; j < i; ++j) ::unlink((path_contents[j].first + ".tmp").c_str());
      throw;
    }
  }
  for (const auto& [path, contents] : path_contents) replace_with_temporary(path);
}

void copy_file_atomic(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw DataError(from + ": cannot read: " + reason(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw DataError(from + ": cannot read");
  write_file_atomic(to, bytes.str());
}

}  // namespace hybridnet
