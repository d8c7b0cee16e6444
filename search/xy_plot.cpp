// SVG plots: a fixed 700x420 canvas, the plot area on the left and the legend on the right.
#include "search/xy_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "analysis/svg_chart.h"

namespace hybridnet::search {

using analysis::xml_escape;

namespace {

std::string num(double v, const char* format = "%.4g") {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

/// One axis: maps data values to [0, 1] (linear or log10), over a padded data range.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;

  static Axis fit(std::vector<double> values, bool log) {
    Axis a;
    a.log = log;
    if (values.empty()) values = log ? std::vector<double>{1, 10} : std::vector<double>{0, 1};
    auto [mn, mx] = std::minmax_element(values.begin(), values.end());
    double lo = *mn, hi = *mx;
    if (log) {
      if (hi <= lo) lo /= 1.5, hi *= 1.5;
      const double pad = std::pow(hi / lo, 0.05);
      a.lo = lo / pad, a.hi = hi * pad;
    } else {
      if (hi <= lo) lo -= std::max(1.0, std::fabs(lo) * 0.1), hi += std::max(1.0, std::fabs(hi) * 0.1);
      const double pad = (hi - lo) * 0.05;
      a.lo = lo - pad, a.hi = hi + pad;
    }
    return a;
  }
  double unit(double v) const {
    return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
               : (v - lo) / (hi - lo);
  }
  bool valid(double v) const { return std::isfinite(v) && (!log || v > 0); }
};

}  // namespace

std::vector<double> axis_ticks(double lo, double hi, bool log) {
  std::vector<double> ticks;
  if (!(lo < hi) || (log && lo <= 0)) return ticks;
  const double tol = (hi - lo) * 1e-9;
  if (log) {
    for (const std::vector<int>& mantissas : {std::vector<int>{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
      ticks.clear();
      for (int e = (int)std::floor(std::log10(lo)); e <= (int)std::ceil(std::log10(hi)); ++e)
        for (int m : mantissas) {
          const double v = m * std::pow(10.0, e);
          if (v >= lo - tol && v <= hi + tol) ticks.push_back(v);
        }
      if (ticks.size() >= 3) return ticks;
    }
    if (ticks.size() >= 2) return ticks;
    // Narrower than the gap between two integer multiples: linear ticks read better.
  }
  const double raw = (hi - lo) / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  const double step = mag * (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10);
  ticks.clear();
  for (double k = std::ceil((lo - tol) / step); k * step <= hi + tol; ++k) {
    const double v = k * step;
    ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

std::string render_plot(const XYPlot& p) {
  const double w = 700, h = 420, left = 64, plot_w = 430, top = 40, plot_h = 320;
  std::vector<double> xs, ys;
  for (const auto& s : p.series)
    for (const auto& pt : s.points)
      if (std::isfinite(pt.y) && std::isfinite(pt.x) && (!p.log_x || pt.x > 0))
        xs.push_back(pt.x), ys.push_back(pt.y);
  const Axis ax = Axis::fit(xs, p.log_x), ay = Axis::fit(ys, false);
  auto sx = [&](double v) { return left + plot_w * ax.unit(v); };
  auto sy = [&](double v) { return top + plot_h * (1 - ay.unit(v)); };
  auto shown = [&](const PlotPoint& pt) { return ax.valid(pt.x) && ay.valid(pt.y); };

  std::ostringstream o;
  o << "<svg class=\"chart\" id=\"" << xml_escape(p.id) << "\" xmlns=\"http://www.w3.org/2000/svg\""
    << " viewBox=\"0 0 " << w << " " << h << "\" width=\"" << w << "\" height=\"" << h
    << "\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\""
    << xml_escape(p.title) << "\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << left + plot_w / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
    << xml_escape(p.title) << "</text>\n";
  for (double t : axis_ticks(ax.lo, ax.hi, ax.log))
    o << "<line x1=\"" << sx(t) << "\" x2=\"" << sx(t) << "\" y1=\"" << top << "\" y2=\""
      << top + plot_h << "\" stroke=\"#e4e4e4\"/><text x=\"" << sx(t) << "\" y=\""
      << top + plot_h + 16 << "\" text-anchor=\"middle\">" << num(t) << "</text>\n";
  for (double t : axis_ticks(ay.lo, ay.hi, false))
    o << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << sy(t) << "\" y2=\""
      << sy(t) << "\" stroke=\"#e4e4e4\"/><text x=\"" << left - 6 << "\" y=\"" << sy(t) + 4
      << "\" text-anchor=\"end\">" << num(t) << "</text>\n";
  o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\""
    << plot_h << "\" fill=\"none\" stroke=\"black\"/>\n"
    << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << h - 12 << "\" text-anchor=\"middle\">"
    << xml_escape(p.x_label + (p.log_x ? " (log scale)" : "")) << "</text>\n"
    << "<text transform=\"translate(16," << top + plot_h / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(p.y_label) << "</text>\n";

  for (const auto& s : p.series) {
    const std::string style = "stroke=\"" + xml_escape(s.color) + "\" stroke-width=\"" +
                              num(s.line_width) + "\" opacity=\"" + num(s.opacity) + "\"" +
                              (s.dash.empty() ? "" : " stroke-dasharray=\"" + s.dash + "\"");
    if (s.line) {
      o << "<polyline fill=\"none\" " << style << " points=\"";
      const PlotPoint* prev = nullptr;
      for (const auto& pt : s.points) {
        if (!shown(pt)) continue;
        if (s.steps && prev) o << sx(pt.x) << "," << sy(prev->y) << " ";
        o << sx(pt.x) << "," << sy(pt.y) << " ";
        prev = &pt;
      }
      o << "\"/>\n";
    }
    if (!s.markers) continue;
    for (const auto& pt : s.points) {
      if (!shown(pt)) continue;
      o << "<g class=\"point\"><title>" << xml_escape(pt.tooltip) << "</title>";
      if (pt.ringed)
        o << "<circle class=\"front\" cx=\"" << sx(pt.x) << "\" cy=\"" << sy(pt.y)
          << "\" r=\"8\" fill=\"none\" stroke=\"black\" stroke-width=\"1.5\"/>";
      o << "<circle cx=\"" << sx(pt.x) << "\" cy=\"" << sy(pt.y) << "\" r=\"4.5\" fill=\""
        << xml_escape(s.color) << "\" opacity=\"" << num(s.opacity) << "\"/></g>\n";
    }
  }

  // Legend: one entry per distinct label, then the ring.
  double ly = top + 8;
  const double lx = left + plot_w + 20;
  std::set<std::string> seen;
  for (const auto& s : p.series) {
    if (!s.in_legend || s.label.empty() || !seen.insert(s.label).second) continue;
    if (s.markers)
      o << "<circle cx=\"" << lx + 8 << "\" cy=\"" << ly << "\" r=\"4.5\" fill=\""
        << xml_escape(s.color) << "\"/>";
    else
      o << "<line x1=\"" << lx << "\" x2=\"" << lx + 16 << "\" y1=\"" << ly << "\" y2=\"" << ly
        << "\" stroke=\"" << xml_escape(s.color) << "\" stroke-width=\"2\""
        << (s.dash.empty() ? "" : " stroke-dasharray=\"" + s.dash + "\"") << "/>";
    o << "<text x=\"" << lx + 24 << "\" y=\"" << ly + 4 << "\">" << xml_escape(s.label)
      << "</text>\n";
    ly += 18;
  }
  if (!p.ring_label.empty())
    o << "<circle cx=\"" << lx + 8 << "\" cy=\"" << ly << "\" r=\"8\" fill=\"none\" "
      << "stroke=\"black\" stroke-width=\"1.5\"/><text x=\"" << lx + 24 << "\" y=\"" << ly + 4
      << "\">" << xml_escape(p.ring_label) << "</text>\n";
  o << "</svg>\n";
  return o.str();
}

}  // namespace hybridnet::search
