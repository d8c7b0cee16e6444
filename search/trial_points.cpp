#include "search/trial_points.h"

#include <algorithm>
#include <set>

#include "models/exit_logits.h"
#include "search/family_registry.h"

namespace hybridnet::search {

std::vector<double> requested_thresholds(const db::TrialRecord& t) {
  std::set<double> all;
  for (const auto& s : t.settings)  // the store records every setting, the first included
    for (double x : family_named(s.family).thresholds(s.params)) all.insert(x);
  return {all.begin(), all.end()};
}

std::vector<double> missing_thresholds(const db::TrialRecord& t) {
  std::vector<double> out;
  for (double x : requested_thresholds(t)) {
    bool stored = false;
    for (const auto& p : t.points) stored = stored || (!p.thresholds.empty() && p.thresholds.front() == x);
    if (!stored) out.push_back(x);
  }
  return out;
}

std::vector<db::PointRow> score_points(const std::string& run_dir, const models::DataSplits& data,
                                       const std::string& energy_table,
                                       const std::vector<double>& grid) {
  if (grid.empty()) return {};
  auto run = models::load_run(run_dir);
  std::vector<db::PointRow> out;
  for (const auto& [p, e] :
       models::score_exits(run, data.test, models::load_energy_table(energy_table), grid).points) {
    db::PointRow r;
    r.thresholds = p.thresholds;
    r.accuracy = p.accuracy;
    r.energy_pj = e.mean_pj();
    r.edge_energy_pj = e.edge_pj;
    r.cloud_energy_pj = e.cloud_pj;
    r.exit_share = p.exit_share;
    r.exit_accuracy = p.exit_accuracy;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hybridnet::search
