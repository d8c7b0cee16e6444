// Shared CLI helpers.
#include "dse/cli_common.h"

#include <cstdio>
#include <regex>

#include "models/error.h"
#include "models/presets.h"

namespace hybridnet::dse {

InputShape parse_input_shape(const std::string& text) {
  static const std::regex re(R"((\d{1,5})x(\d{1,5})(?:x(\d{1,5}))?)");
  std::smatch m;
  if (!std::regex_match(text, m, re))
    throw ConfigError("--input '" + text + "': expected HxWxC, e.g. 32x32x3 or 28x28x1");
  InputShape s;
  s.height = std::stoi(m[1]);
  s.width = std::stoi(m[2]);
  s.channels = m[3].matched ? std::stoi(m[3]) : 1;
  if (s.height < 1 || s.width < 1 || s.channels < 1 || s.height > 4096 || s.width > 4096 ||
      s.channels > 4096)
    throw ConfigError("--input '" + text + "': sizes must be 1 to 4096");
  return s;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string model_help() {
  return "Architecture (default resnet20; a plan file names its own): " +
         join(models::known_architectures());
}

std::string preset_help() {
  std::string out = "Presets (name or name:key=value,...):\n";
  for (const auto& p : models::presets()) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-19s %-18s %s", p.name.c_str(), p.params.c_str(),
                  p.summary.c_str());
    out += line;
    std::string old;
    for (const auto& o : p.old_names) old += (old.empty() ? "" : ", ") + o;
    out += (old.empty() ? "" : " (formerly " + old + ")") + std::string("\n");
  }
  return out;
}

std::string human(double v) {
  char buf[32];
  if (v >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2fG", v / 1e9);
  else if (v >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

}  // namespace hybridnet::dse
