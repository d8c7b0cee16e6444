// Minimal self-contained SVG charts (no dependencies): a per-layer series drawn as a line with
// markers or as bars, with some points highlighted. Used for the analysis figures.
#pragma once

#include <string>
#include <vector>

namespace hybridnet::analysis {

struct SvgChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<std::string> x_ticks;  ///< one label per point
  std::vector<double> values;
  std::vector<bool> highlighted;  ///< drawn in red, with `highlight_label` in the legend
  std::string series_label;
  std::string highlight_label;
  bool bars = false;
};

/// The chart as an SVG document.
std::string render_svg(const SvgChart& chart);

/// `text` with &, <, >, " and ' escaped, safe in XML/HTML text and attribute values.
std::string xml_escape(const std::string& text);

}  // namespace hybridnet::analysis
