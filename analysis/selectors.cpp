// Selector implementations over the eligible layers of a profile.
#include "analysis/selectors.h"

#include <cstdio>

#include "analysis/layer_selection.h"
#include "models/error.h"

namespace hybridnet::analysis {

namespace {

std::string fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

std::vector<int> eligible_rows(const Profile& p) {
  std::vector<int> rows;
  for (size_t i = 0; i < p.layers.size(); ++i)
    if (p.layers[i].eligible) rows.push_back(static_cast<int>(i));
  return rows;
}

void upgrade(Selection& s, const LayerProfile& l, models::Precision precision) {
  s.plan.precision(l.name) = precision;
  s.upgraded.push_back(l.name);
}

// Min-max scaling of one feature to [0, 1] (all-equal values map to 0).
Eigen::VectorXd min_max(const Eigen::VectorXd& v) {
  const double lo = v.minCoeff(), hi = v.maxCoeff();
  return hi > lo ? Eigen::VectorXd((v.array() - lo) / (hi - lo)) : Eigen::VectorXd::Zero(v.size());
}

Selection partition_selection(const Profile& p, const char* name, const Eigen::MatrixXd& features,
                              const std::vector<int>& rows, double ratio, uint64_t seed,
                              models::Precision precision, const std::string& what) {
  Selection s;
  s.selector = name;
  s.plan = p.plan;
  if (rows.size() < 2) {
    s.found = false;
    s.message = "fewer than two eligible layers to partition";
    return s;
  }
  const PartitionResult r = partition_layers(features, ratio, seed);
  if (!r.found) {
    s.found = false;
    s.message =
        fmt("no cluster count N in 2..%g puts at most R = %g of the layers in the highest cluster "
            "(at best 1/%g)",
            double(rows.size()), ratio, double(rows.size()));
    for (int row : rows) s.reasons[p.layers[row].name] = "kept: no partition satisfies R";
    return s;
  }
  std::vector<bool> chosen(rows.size(), false);
  for (int i : r.selected) chosen[i] = true;
  const std::string cluster_note = fmt("N = %g clusters, highest holds %g of %g layers", r.clusters,
                                       double(r.selected.size()), double(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& l = p.layers[rows[i]];
    if (chosen[i]) {
      upgrade(s, l, precision);
      s.reasons[l.name] = "in the highest cluster (" + cluster_note + "): " + what;
    } else {
      s.reasons[l.name] = "kept: in a lower cluster (" + cluster_note + ")";
    }
  }
  s.message = cluster_note;
  return s;
}

}  // namespace

Selection select_pca(const Profile& p, double delta, int kb) {
  if (kb < 1 || kb > 8) throw ConfigError("--kb " + std::to_string(kb) + " must be in 1..8");
  Selection s;
  s.selector = "pca";
  s.params = {{"threshold", p.threshold}, {"delta", delta}, {"kb", kb}};
  s.plan = p.plan;
  std::vector<int> k;
  std::vector<bool> eligible;
  for (const auto& l : p.layers) {
    k.push_back(l.k);
    eligible.push_back(l.eligible);
  }
  std::vector<bool> significant(k.size(), false);
  for (int i : significant_layers(k, delta, eligible)) significant[i] = true;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const auto& l = p.layers[i];
    if (!l.eligible) continue;
    const std::string rule =
        fmt("k_i - k_i-1 = %g - %g = %g", l.k, i ? p.layers[i - 1].k : 0, l.delta_k);
    if (significant[i]) {
      upgrade(s, l, models::Precision::kbit(kb));
      s.reasons[l.name] = rule + fmt(" > Delta %g: %g-bit", delta, kb);
    } else {
      s.reasons[l.name] = rule + fmt(" <= Delta %g: kept", delta);
    }
  }
  s.message = std::to_string(s.upgraded.size()) + " significant layers";
  return s;
}

Selection select_partition(const Profile& p, double ratio, uint64_t seed) {
  const auto rows = eligible_rows(p);
  Eigen::MatrixXd m(rows.size(), 1);
  for (size_t i = 0; i < rows.size(); ++i) m(i, 0) = p.layers[rows[i]].metric;
  Selection s = partition_selection(p, "partition", m, rows, ratio, seed,
                                    models::Precision{1, 32, 0.0}, "WeightBin (FP inputs)");
  s.params = {{"ratio", ratio}, {"gamma", p.gamma}, {"scaled_error", p.scaled_error}};
  return s;
}

Selection select_combined(const Profile& p, double ratio, int kb, uint64_t seed) {
  if (!((kb >= 2 && kb <= 8) || kb == 32))
    throw ConfigError("--combined-kb " + std::to_string(kb) +
                      " must be 2..8 (k-bit) or 32 (FP inputs)");
  const auto rows = eligible_rows(p);
  Eigen::VectorXd dk(rows.size()), metric(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    dk[i] = p.layers[rows[i]].delta_k;
    metric[i] = p.layers[rows[i]].metric;
  }
  Eigen::MatrixXd features(rows.size(), 2);
  if (!rows.empty()) {
    features.col(0) = min_max(dk);
    features.col(1) = min_max(metric);
  }
  const models::Precision precision =
      kb == 32 ? models::Precision{1, 32, 0.0} : models::Precision::kbit(kb);
  Selection s = partition_selection(p, "combined", features, rows, ratio, seed, precision,
                                    kb == 32 ? "FP inputs" : std::to_string(kb) + "-bit");
  s.params = {{"threshold", p.threshold}, {"ratio", ratio}, {"kb", kb}, {"gamma", p.gamma}};
  return s;
}

}  // namespace hybridnet::analysis
