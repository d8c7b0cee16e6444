#include "search/hypervolume.h"

#include <algorithm>
#include <stdexcept>

namespace hybridnet::search {

namespace {

// Points as minimisation, each coordinate strictly below the reference's.
using Point = std::vector<double>;

// The volume of the union of the boxes [p, ref] over the first `d` coordinates: the points
// sorted by coordinate d-1, each slab between consecutive values of it covered by the
// (d-1)-dimensional union of the points below it.
double slice(std::vector<Point> points, const Point& ref, size_t d) {
  if (points.empty()) return 0;
  if (d == 1) {
    double best = ref[0];
    for (const auto& p : points) best = std::min(best, p[0]);
    return ref[0] - best;
  }
  std::sort(points.begin(), points.end(),
            [d](const Point& a, const Point& b) { return a[d - 1] < b[d - 1]; });
  double volume = 0;
  std::vector<Point> below;
  for (size_t i = 0; i < points.size(); ++i) {
    below.push_back(points[i]);
    const double top = i + 1 < points.size() ? points[i + 1][d - 1] : ref[d - 1];
    const double depth = top - points[i][d - 1];
    if (depth > 0) volume += depth * slice(below, ref, d - 1);
  }
  return volume;
}

}  // namespace

double hypervolume(const std::vector<std::vector<double>>& points,
                   const std::vector<double>& reference, const std::vector<Objective>& objectives) {
  const size_t d = objectives.size();
  if (reference.size() != d) throw std::invalid_argument("hypervolume: reference size");
  if (d == 0) return 0;
  Point ref(d);
  for (size_t j = 0; j < d; ++j) ref[j] = objectives[j].maximize ? -reference[j] : reference[j];
  std::vector<Point> inside;
  for (const auto& p : points) {
    if (p.size() != d) throw std::invalid_argument("hypervolume: point size");
    Point q(d);
    bool counts = true;
    for (size_t j = 0; j < d; ++j) {
      q[j] = objectives[j].maximize ? -p[j] : p[j];
      counts = counts && q[j] < ref[j];  // NaN counts as no better than the reference
    }
    if (counts) inside.push_back(std::move(q));
  }
  return slice(std::move(inside), ref, d);
}

double hypervolume_contribution(const std::vector<std::vector<double>>& points,
                                const std::vector<double>& candidate,
                                const std::vector<double>& reference,
                                const std::vector<Objective>& objectives) {
  std::vector<std::vector<double>> with = points;
  with.push_back(candidate);
  return std::max(
      0.0, hypervolume(with, reference, objectives) - hypervolume(points, reference, objectives));
}

}  // namespace hybridnet::search
