#include "models/text_file.h"

#include <cstdio>
#include <fstream>

#include "models/error.h"

namespace hybridnet {

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw DataError(path + ": cannot write (does its directory exist?)");
    out << text;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw DataError(path + ": write failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw DataError(path + ": cannot replace the file");
  }
}

}  // namespace hybridnet
