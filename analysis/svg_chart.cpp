// SVG rendering: fixed 820x420 canvas, linear y axis from 0 (or the minimum, if negative).
#include "analysis/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace hybridnet::analysis {

namespace {
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}
}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_svg(const SvgChart& c) {
  const double w = 820, h = 440, left = 70, right = 20, top = 60, bottom = 90;
  const double pw = w - left - right, ph = h - top - bottom;
  const size_t n = c.values.size();
  double lo = 0, hi = 1;
  if (n) {
    lo = std::min(0.0, *std::min_element(c.values.begin(), c.values.end()));
    hi = *std::max_element(c.values.begin(), c.values.end());
    if (hi <= lo) hi = lo + 1;
  }
  auto x = [&](size_t i) { return left + pw * (n > 1 ? (i + 0.5) / n : 0.5); };
  auto y = [&](double v) { return top + ph * (1 - (v - lo) / (hi - lo)); };
  auto hot = [&](size_t i) { return i < c.highlighted.size() && c.highlighted[i]; };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << w / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
    << xml_escape(c.title) << "</text>\n";
  for (int t = 0; t <= 4; ++t) {  // y grid and labels
    const double v = lo + (hi - lo) * t / 4;
    o << "<line x1=\"" << left << "\" x2=\"" << w - right << "\" y1=\"" << y(v) << "\" y2=\""
      << y(v) << "\" stroke=\"#ddd\"/>\n<text x=\"" << left - 6 << "\" y=\"" << y(v) + 4
      << "\" text-anchor=\"end\">" << num(v) << "</text>\n";
  }
  o << "<line x1=\"" << left << "\" x2=\"" << left << "\" y1=\"" << top << "\" y2=\"" << top + ph
    << "\" stroke=\"black\"/>\n<line x1=\"" << left << "\" x2=\"" << w - right << "\" y1=\""
    << top + ph << "\" y2=\"" << top + ph << "\" stroke=\"black\"/>\n";
  for (size_t i = 0; i < n && i < c.x_ticks.size(); ++i)
    o << "<text transform=\"translate(" << x(i) << "," << top + ph + 8
      << ") rotate(60)\" font-size=\"9\">" << xml_escape(c.x_ticks[i]) << "</text>\n";
  if (c.bars) {
    const double bw = std::max(2.0, pw / std::max<size_t>(n, 1) * 0.7);
    for (size_t i = 0; i < n; ++i)
      o << "<rect x=\"" << x(i) - bw / 2 << "\" y=\"" << std::min(y(c.values[i]), y(0))
        << "\" width=\"" << bw << "\" height=\"" << std::fabs(y(0) - y(c.values[i])) << "\" fill=\""
        << (hot(i) ? "#d62728" : "#1f77b4") << "\"><title>"
        << xml_escape(c.x_ticks.size() > i ? c.x_ticks[i] : "") << ": " << num(c.values[i])
        << "</title></rect>\n";
  } else {
    o << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < n; ++i) o << x(i) << "," << y(c.values[i]) << " ";
    o << "\"/>\n";
    for (size_t i = 0; i < n; ++i)
      o << "<circle cx=\"" << x(i) << "\" cy=\"" << y(c.values[i]) << "\" r=\""
        << (hot(i) ? 6 : 3.5) << "\" fill=\"" << (hot(i) ? "#d62728" : "#1f77b4") << "\"><title>"
        << xml_escape(c.x_ticks.size() > i ? c.x_ticks[i] : "") << ": " << num(c.values[i])
        << "</title></circle>\n";
  }
  o << "<text x=\"" << left + pw / 2 << "\" y=\"" << h - 8 << "\" text-anchor=\"middle\">"
    << xml_escape(c.x_label) << "</text>\n<text transform=\"translate(16," << top + ph / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(c.y_label) << "</text>\n";
  // legend
  o << "<circle cx=\"" << w - 230 << "\" cy=\"" << top - 18
    << "\" r=\"4\" fill=\"#1f77b4\"/><text x=\"" << w - 222 << "\" y=\"" << top - 14 << "\">"
    << xml_escape(c.series_label) << "</text>\n";
  if (!c.highlight_label.empty())
    o << "<circle cx=\"" << w - 120 << "\" cy=\"" << top - 18
      << "\" r=\"4\" fill=\"#d62728\"/><text x=\"" << w - 112 << "\" y=\"" << top - 14 << "\">"
      << xml_escape(c.highlight_label) << "</text>\n";
  o << "</svg>\n";
  return o.str();
}

}  // namespace hybridnet::analysis
