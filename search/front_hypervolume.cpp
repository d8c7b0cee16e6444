#include "search/front_hypervolume.h"

#include <algorithm>
#include <cmath>

#include "models/data_options.h"
#include "models/error.h"
#include "search/hypervolume.h"
#include "search/results.h"
#include "search/trial_config.h"

namespace hybridnet::search {

std::optional<FrontHypervolume> front_hypervolume(const std::vector<db::TrialRecord>& points,
                                                  const std::vector<Objective>& objectives) {
  if (points.empty()) return std::nullopt;
  int classes = 0;
  for (const auto& t : points) {
    try {
      classes = std::max(classes, models::data_shape(trial_config(t).data).num_classes);
    } catch (const Error&) {  // a config this version cannot read: the usual 10 classes
      classes = std::max(classes, 10);
    }
  }
  // The largest FP network's cost: this network's cost times its ratio to the FP one.
  auto fp_cost = [&](const char* column, const char* ratio) {
    double most = NAN;
    for (const auto& t : points) {
      const double v = t.objective(column) * t.objective(ratio);
      if (std::isfinite(v)) most = std::isnan(most) ? v : std::max(most, v);
    }
    return most;
  };
  FrontHypervolume out;
  std::vector<double> ideal;
  for (const auto& o : objectives) {
    if (o.maximize != o.kind().natural_max) return std::nullopt;
    double worst = NAN, best = NAN;  // among the points
    for (const auto& t : points) {
      const double v = objective_value(t, o);
      if (!std::isfinite(v)) continue;
      worst = std::isnan(worst) ? v : (o.maximize ? std::min(worst, v) : std::max(worst, v));
      best = std::isnan(best) ? v : (o.maximize ? std::max(best, v) : std::min(best, v));
    }
    double ref = NAN, top = 0;
    if (o.name == "accuracy" || o.name == "top5") {
      ref = std::min(1.0, (o.name == "top5" ? 5.0 : 1.0) / std::max(1, classes));
      top = 1;
    } else if (o.name == "energy") {
      ref = 1.1 * fp_cost("energy_pj", "ee_fp");
    } else if (o.name == "memory") {
      ref = 1.1 * fp_cost("memory_bits", "mc_fp");
    } else if (o.maximize) {
      ref = 0;
      top = 1.1 * best;
    } else {
      ref = 1.1 * worst;
    }
    if (!std::isfinite(ref) || !std::isfinite(top) || ref == top) return std::nullopt;
    out.reference.push_back(ref);
    ideal.push_back(top);
  }
  std::vector<std::vector<double>> values;
  for (const auto& t : points) {
    std::vector<double> v;
    for (const auto& o : objectives) v.push_back(objective_value(t, o));
    values.push_back(std::move(v));
  }
  out.value = hypervolume(values, out.reference, objectives);
  double box = 1;
  for (size_t j = 0; j < objectives.size(); ++j) box *= std::abs(ideal[j] - out.reference[j]);
  out.normalized = out.value / box;
  return out;
}

}  // namespace hybridnet::search
