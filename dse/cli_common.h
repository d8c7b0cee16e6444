// Helpers shared by subcommands: input-shape parsing, option help lists, number formatting.
#pragma once

#include <string>
#include <vector>

namespace hybridnet::dse {

struct InputShape {
  int height = 32, width = 32, channels = 3;
};
/// "32x32x3" (H x W x C) or "28x28" (one channel); throws ConfigError naming --input.
InputShape parse_input_shape(const std::string& text);

/// "a, b, c" for --help texts.
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");
/// --model help: the architectures and the default.
std::string model_help();
/// The presets, one per line, for --help.
std::string preset_help();
/// 12345678 -> "12.35M"
std::string human(double v);

}  // namespace hybridnet::dse
