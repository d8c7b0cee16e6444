#include "search/promotion.h"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

#include "search/hypervolume.h"

namespace hybridnet::search {

namespace {

// NSGA-II's crowding distance of each member of one front: the sum over objectives of the gap
// between its neighbours, normalised by the front's range; the extremes are infinite.
std::vector<double> crowding(const std::vector<std::vector<double>>& front) {
  const size_t n = front.size();
  std::vector<double> distance(n, 0);
  if (n == 0) return distance;
  const size_t d = front[0].size();
  std::vector<size_t> order(n);
  for (size_t j = 0; j < d; ++j) {
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return front[a][j] < front[b][j]; });
    const double range = front[order.back()][j] - front[order.front()][j];
    distance[order.front()] = distance[order.back()] = std::numeric_limits<double>::infinity();
    if (range <= 0) continue;
    for (size_t k = 1; k + 1 < n; ++k)
      distance[order[k]] += (front[order[k + 1]][j] - front[order[k - 1]][j]) / range;
  }
  return distance;
}

}  // namespace

std::vector<size_t> promotion_order(const std::vector<std::vector<double>>& values,
                                    const std::vector<Objective>& objectives,
                                    const std::vector<double>& reference, PromotionRule rule) {
  const std::vector<int> ranks = pareto_ranks(values, objectives);
  std::map<int, std::vector<size_t>> by_rank;
  for (size_t i = 0; i < values.size(); ++i) by_rank[ranks[i]].push_back(i);
  std::vector<double> score(values.size(), 0);  // higher first, within a rank
  for (const auto& [rank, members] : by_rank) {
    std::vector<std::vector<double>> front;
    for (size_t i : members) front.push_back(values[i]);
    if (rule == PromotionRule::kCrowding) {
      const auto c = crowding(front);
      for (size_t k = 0; k < members.size(); ++k) score[members[k]] = c[k];
    } else {
      const double whole = hypervolume(front, reference, objectives);
      for (size_t k = 0; k < members.size(); ++k) {
        auto without = front;
        without.erase(without.begin() + static_cast<long>(k));
        score[members[k]] = whole - hypervolume(without, reference, objectives);
      }
    }
  }
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const bool first_max = !objectives.empty() && objectives[0].maximize;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (ranks[a] != ranks[b]) return ranks[a] < ranks[b];
    if (score[a] != score[b]) return score[a] > score[b];
    if (values[a][0] != values[b][0])
      return first_max ? values[a][0] > values[b][0] : values[a][0] < values[b][0];
    return a < b;
  });
  return order;
}

std::vector<size_t> promotable(const std::vector<RungEntry>& rung, int eta,
                               const std::vector<Objective>& objectives,
                               const std::vector<double>& reference, PromotionRule rule) {
  if (eta < 2) throw std::invalid_argument("promotable: eta must be >= 2");
  std::vector<std::vector<double>> values;
  for (const auto& e : rung) values.push_back(e.values);
  const size_t top = rung.size() / static_cast<size_t>(eta);
  const auto order = promotion_order(values, objectives, reference, rule);
  std::vector<size_t> out;
  for (size_t k = 0; k < top; ++k)
    if (!rung[order[k]].promoted) out.push_back(order[k]);
  return out;
}

}  // namespace hybridnet::search
