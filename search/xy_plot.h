// Self-contained SVG scatter/line plots for the study report: several coloured series on linear or
// logarithmic axes, points with tooltips, some ringed (the Pareto front), and a legend.
#pragma once

#include <string>
#include <vector>

namespace hybridnet::search {

struct PlotPoint {
  double x = 0, y = 0;
  std::string tooltip;  ///< shown on hover (an SVG <title>)
  bool ringed = false;  ///< drawn with a black ring (class "front")
};

struct PlotSeries {
  std::string label;  ///< legend entry; series with the same label share one entry
  std::string color;  ///< CSS colour
  std::vector<PlotPoint> points;
  bool markers = true;
  bool line = false;       ///< join the points in the given order
  bool steps = false;      ///< with `line`: a staircase (horizontal, then vertical)
  double line_width = 2;
  double opacity = 1;
  std::string dash;        ///< SVG stroke-dasharray, empty for solid
  bool in_legend = true;
};

struct XYPlot {
  std::string id;  ///< the <svg>'s id, for links and tests
  std::string title, x_label, y_label;
  bool log_x = false;
  std::vector<PlotSeries> series;
  std::string ring_label;  ///< legend entry of the ringed points; none when empty
};

/// The plot as an inline <svg> element (class "chart"). Points with non-finite coordinates, or
/// non-positive x on a log axis, are left out.
std::string render_plot(const XYPlot& plot);

/// Tick positions covering [lo, hi]: 1-2-5 steps on a linear axis, 1-2-5 times powers of ten on a
/// log axis (every integer multiple when the range is under a decade). Needs lo < hi (and lo > 0
/// when `log`).
std::vector<double> axis_ticks(double lo, double hi, bool log);

}  // namespace hybridnet::search
