#include "models/image_decode.h"

#include <png.h>
#include <tbb/parallel_for.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>

#include "models/error.h"

namespace hybridnet::models {

namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr uint8_t kPngEnd[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
// Files larger than this are not decoded (a typo'd path to a disk image must not be read whole).
constexpr size_t kMaxFileBytes = size_t{256} << 20;
// 2^26 pixels (8192 x 8192): larger images are refused before their pixels are allocated.
constexpr int64_t kMaxPixels = int64_t{1} << 26;

struct TjHandle {
  tjhandle h = tjInitDecompress();
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
};

void check_size(int width, int height, const std::string& name) {
  if (width <= 0 || height <= 0 || int64_t{width} * height > kMaxPixels)
    throw DataError(name + ": image of " + std::to_string(width) + "x" + std::to_string(height) +
                    " pixels (at most 2^26 pixels)");
}

Image decode_jpeg(const uint8_t* data, size_t size, int channels, const std::string& name) {
  thread_local TjHandle tj;  // one decompressor per thread, reused across images
  if (!tj.h) throw DataError(name + ": cannot start the JPEG decoder");
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.h, data, static_cast<unsigned long>(size), &width, &height, &subsamp,
                          &colorspace) != 0)
    throw DataError(name + ": corrupt JPEG (" + tjGetErrorStr2(tj.h) + ")");
  check_size(width, height, name);
  Image img{width, height, channels, std::vector<uint8_t>(size_t(width) * height * channels)};
  const int format = channels == 1 ? TJPF_GRAY : TJPF_RGB;
  if (tjDecompress2(tj.h, data, static_cast<unsigned long>(size), img.pixels.data(), width, 0,
                    height, format, TJFLAG_STOPONWARNING | TJFLAG_ACCURATEDCT) != 0)
    throw DataError(name + ": corrupt or truncated JPEG (" + tjGetErrorStr2(tj.h) + ")");
  return img;
}

Image decode_png(const uint8_t* data, size_t size, int channels, const std::string& name) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, data, size))
    throw DataError(name + ": corrupt PNG (" + png.message + ")");
  // Frees libpng's state on every path out.
  std::unique_ptr<png_image, void (*)(png_image*)> guard(&png, png_image_free);
  check_size(static_cast<int>(png.width), static_cast<int>(png.height), name);
  png.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  Image img{static_cast<int>(png.width), static_cast<int>(png.height), channels,
            std::vector<uint8_t>(PNG_IMAGE_SIZE(png))};
  // Transparent pixels are composited onto black (libpng's default without a background).
  if (!png_image_finish_read(&png, nullptr, img.pixels.data(), 0, nullptr))
    throw DataError(name + ": corrupt or truncated PNG (" + png.message + ")");
  return img;
}

std::vector<uint8_t> read_bytes(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path + ": cannot open");
  const auto end = in.tellg();
  if (end < 0) throw DataError(path + ": cannot read");
  const size_t size = static_cast<size_t>(end);
  if (size > kMaxFileBytes)
    throw DataError(path + ": " + std::to_string(size) + " bytes, larger than an image file may be");
  std::vector<uint8_t> bytes(std::min(size, limit));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw DataError(path + ": cannot read");
  return bytes;
}

}  // namespace

ImageFormat sniff_image_format(const uint8_t* data, size_t size) {
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return ImageFormat::kJpeg;
  if (size >= 8 && std::memcmp(data, kPngSignature, 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

Image decode_image(const uint8_t* data, size_t size, int channels, const std::string& name) {
  if (channels != 1 && channels != 3)
    throw ConfigError("images decode to 1 or 3 channels, not " + std::to_string(channels));
  switch (sniff_image_format(data, size)) {
    case ImageFormat::kJpeg:
      return decode_jpeg(data, size, channels, name);
    case ImageFormat::kPng:
      return decode_png(data, size, channels, name);
    default:
      throw DataError(name + ": not a JPEG or PNG image");
  }
}

Image read_image(const std::string& path, int channels) {
  const auto bytes = read_bytes(path, kMaxFileBytes);
  return decode_image(bytes.data(), bytes.size(), channels, path);
}

std::string check_image_file(const std::string& path) {
  constexpr size_t kHead = 64 << 10;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "cannot open";
  const auto end = in.tellg();
  if (end <= 0) return "empty file";
  const size_t size = static_cast<size_t>(end);
  if (size > kMaxFileBytes) return "larger than an image file may be";
  std::vector<uint8_t> head(std::min(size, kHead));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size())))
    return "cannot read";
  uint8_t tail[12] = {};
  const size_t tail_size = std::min<size_t>(size, sizeof tail);
  in.seekg(static_cast<std::streamoff>(size - tail_size));
  if (!in.read(reinterpret_cast<char*>(tail), static_cast<std::streamsize>(tail_size)))
    return "cannot read";
  switch (sniff_image_format(head.data(), head.size())) {
    case ImageFormat::kJpeg: {
      thread_local TjHandle tj;
      int w = 0, h = 0, subsamp = 0, colorspace = 0;
      if (!tj.h ||
          tjDecompressHeader3(tj.h, head.data(), static_cast<unsigned long>(head.size()), &w, &h,
                              &subsamp, &colorspace) != 0)
        return "corrupt JPEG header";
      // Encoders end with EOI (FF D9); some pad after it, so look in the last bytes.
      for (size_t i = 0; i + 1 < tail_size; ++i)
        if (tail[i] == 0xff && tail[i + 1] == 0xd9) return "";
      return "truncated JPEG (no end-of-image marker)";
    }
    case ImageFormat::kPng: {
      png_image png;
      std::memset(&png, 0, sizeof png);
      png.version = PNG_IMAGE_VERSION;
      const bool ok = png_image_begin_read_from_memory(&png, head.data(), head.size());
      png_image_free(&png);
      if (!ok) return "corrupt PNG header";
      if (tail_size < sizeof kPngEnd || std::memcmp(tail, kPngEnd, sizeof kPngEnd) != 0)
        return "truncated PNG (no IEND chunk)";
      return "";
    }
    default:
      return "not a JPEG or PNG image";
  }
}

ImageList checked_images(const ImageList& list, BadFiles& bad) {
  std::vector<std::string> why(list.size());
  tbb::parallel_for(size_t{0}, list.size(),
                    [&](size_t i) { why[i] = check_image_file(list.paths[i]); });
  ImageList out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!why[i].empty()) {
      bad.add(list.paths[i], why[i]);
      continue;
    }
    out.paths.push_back(list.paths[i]);
    out.labels.push_back(list.labels[i]);
  }
  return out;
}

}  // namespace hybridnet::models
