#include "tests/support/image_files.h"

#include <png.h>
#include <turbojpeg.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace hybridnet::test {

void write_png(const std::string& path, const std::vector<uint8_t>& pixels, int width, int height,
               int channels) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(width);
  png.height = static_cast<png_uint_32>(height);
  png.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&png, path.c_str(), 0, pixels.data(), 0, nullptr))
    throw std::runtime_error(path + ": cannot write PNG: " + png.message);
}

void write_jpeg(const std::string& path, const std::vector<uint8_t>& pixels, int width,
                int height, int channels, int quality) {
  tjhandle tj = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int format = channels == 1 ? TJPF_GRAY : TJPF_RGB;
  const int subsamp = channels == 1 ? TJSAMP_GRAY : TJSAMP_420;
  if (tjCompress2(tj, pixels.data(), width, 0, height, format, &out, &size, subsamp, quality,
                  TJFLAG_ACCURATEDCT) != 0) {
    tjDestroy(tj);
    throw std::runtime_error(path + ": cannot encode JPEG");
  }
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(out), size);
  tjFree(out);
  tjDestroy(tj);
}

}  // namespace hybridnet::test
