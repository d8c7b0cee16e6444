// Image files for the folder dataset: JPEG (libjpeg-turbo's TurboJPEG API) and PNG (libpng's
// simplified API), recognised by their first bytes rather than their names. Torch-free. Decoding
// stops at the first warning (a truncated JPEG is corrupt, not an image with a grey bottom), and
// every failure is a DataError that names the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/image_folder.h"

namespace hybridnet::models {

/// Pixels in row-major height x width x channels order, 8 bits each.
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
  uint8_t at(int y, int x, int c) const {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
};

enum class ImageFormat { kUnknown, kJpeg, kPng };

/// The format an encoded file's first bytes announce.
ImageFormat sniff_image_format(const uint8_t* data, size_t size);

/// Decodes to `channels` (1 grey, 3 RGB; colour converted as the libraries do). `name` is the
/// path errors name.
Image decode_image(const uint8_t* data, size_t size, int channels, const std::string& name);
/// Reads and decodes a file.
Image read_image(const std::string& path, int channels);

/// A quick check that does not decode: the file opens, announces JPEG or PNG, its header
/// parses, and it ends as a complete file does (JPEG: the EOI marker; PNG: the IEND chunk).
/// Reads the first 64 KiB and the last 12 bytes. Empty when fine, else why not.
std::string check_image_file(const std::string& path);

/// Keeps the images that pass check_image_file (checked in parallel), in order; the others
/// are counted in `bad`.
ImageList checked_images(const ImageList& list, BadFiles& bad);

}  // namespace hybridnet::models
