// Test helper: encoded image files written with the same libraries the reader uses (TurboJPEG,
// libpng), and a Fashion-MNIST image folder for the folder dataset's tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hybridnet::test {

/// Grey (channels 1) or RGB (3) pixels, row-major height x width x channels.
void write_png(const std::string& path, const std::vector<uint8_t>& pixels, int width, int height,
               int channels);
void write_jpeg(const std::string& path, const std::vector<uint8_t>& pixels, int width,
                int height, int channels, int quality = 95);

}  // namespace hybridnet::test
