#include "search/per_layer_evolution.h"

#include <algorithm>
#include <random>
#include <set>

#include "models/error.h"
#include "search/promotion.h"

namespace hybridnet::search {

namespace {

std::vector<const analysis::LayerProfile*> eligible(const analysis::Profile& p) {
  std::vector<const analysis::LayerProfile*> out;
  for (const auto& l : p.layers)
    if (l.eligible) out.push_back(&l);
  return out;
}

std::vector<double> min_max(const std::vector<double>& v) {
  if (v.empty()) return v;
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  std::vector<double> out(v.size(), 0.0);
  if (*hi > *lo)
    for (size_t i = 0; i < v.size(); ++i) out[i] = (v[i] - *lo) / (*hi - *lo);
  return out;
}

// One layer's draw: upgraded with probability p, to one of the allowed precisions.
int draw_bits(double p, const EvolutionSettings& s, std::mt19937_64& rng) {
  if (std::uniform_real_distribution<double>(0, 1)(rng) >= p) return 1;
  return s.bits.at(std::uniform_int_distribution<size_t>(0, s.bits.size() - 1)(rng));
}

// A mutation's upgrade probability: from p_min to p_max with the layer's significance.
double mutation_probability(double significance, const EvolutionSettings& s) {
  return s.p_min + (s.p_max - s.p_min) * significance;
}

// Generation 0's upgrade probability of a layer in an individual of density d in (0, 1]: about
// d on average over the layers, twice as likely for the most significant layer as for the
// least (0.5 + significance), capped at 1.
double initial_probability(double significance, double density) {
  return std::min(1.0, density * (0.5 + significance));
}

bool upgraded(const Genome& g) {
  return std::any_of(g.begin(), g.end(), [](int b) { return b != 1; });
}

std::mt19937_64 rng_for(uint64_t seed, int generation) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(generation), 0x9e3779b9u};
  return std::mt19937_64(seq);
}

}  // namespace

std::vector<double> layer_significance(const analysis::Profile& profile) {
  std::vector<double> delta, metric;
  for (const auto* l : eligible(profile)) {
    delta.push_back(std::max(0, l->delta_k));
    metric.push_back(l->metric);
  }
  const auto d = min_max(delta), m = min_max(metric);
  std::vector<double> out;
  for (size_t i = 0; i < d.size(); ++i) out.push_back(0.5 * (d[i] + m[i]));
  return out;
}

models::HybridPlan genome_plan(const analysis::Profile& profile, const Genome& genome) {
  const auto layers = eligible(profile);
  if (genome.size() != layers.size())
    throw ConfigError("per-layer genome has " + std::to_string(genome.size()) +
                      " layers; the profile has " + std::to_string(layers.size()) +
                      " eligible layers");
  models::HybridPlan plan = profile.plan;
  for (size_t i = 0; i < layers.size(); ++i) {
    const int b = genome[i];
    if (b != 1 && b != 32 && (b < 2 || b > 8))
      throw ConfigError("per-layer genome: " + std::to_string(b) + " bits (1, 2..8 or 32)");
    plan.precision(layers[i]->name) = b == 1    ? models::Precision::binary()
                                      : b == 32 ? models::Precision::fp()
                                                : models::Precision::kbit(b);
  }
  return plan;
}

std::vector<Genome> initial_population(const analysis::Profile& profile, const EvolutionSettings& s,
                                       uint64_t seed) {
  const auto significance = layer_significance(profile);
  auto rng = rng_for(seed, 0);
  std::set<Genome> seen;
  std::vector<Genome> out;
  // Individual i draws at density (i + 1) / population, so that the generation spans the cost
  // axis from one upgraded layer to nearly all: drawn at one density, as the first version did,
  // every individual sat in the middle and the accurate, costly corner the selectors reach
  // (hybrid-comp-a with every layer 4-bit) was never tried. Bounded: a network of few eligible
  // layers has few distinct assignments.
  // The last individual is the costly anchor, every layer at the highest precision allowed
  // (the cheap one is the baseline): drawn like the others it was rarely tried, and at this
  // scale the most accurate network carries much of a front's hypervolume.
  const int n = s.population;
  const Genome anchor(significance.size(), *std::max_element(s.bits.begin(), s.bits.end()));
  if (!anchor.empty()) seen.insert(anchor);
  for (int tries = 0; static_cast<int>(out.size()) < n - 1 && tries < 100 * n; ++tries) {
    const double density = (static_cast<int>(out.size()) + 1) / static_cast<double>(n);
    Genome g;
    for (double sig : significance) g.push_back(draw_bits(initial_probability(sig, density), s, rng));
    if (upgraded(g) && seen.insert(g).second) out.push_back(std::move(g));
  }
  if (!anchor.empty()) out.push_back(anchor);
  return out;
}

std::vector<Genome> next_generation(const std::vector<Scored>& evaluated,
                                    const std::vector<Objective>& objectives,
                                    const analysis::Profile& profile, const EvolutionSettings& s,
                                    uint64_t seed, int generation) {
  if (evaluated.empty()) return {};
  const auto significance = layer_significance(profile);
  // NSGA-II's order: non-dominated rank, then crowding distance.
  std::vector<std::vector<double>> values;
  for (const auto& e : evaluated) values.push_back(e.values);
  const auto order = promotion_order(values, objectives, {}, PromotionRule::kCrowding);
  std::vector<size_t> place(evaluated.size());
  for (size_t i = 0; i < order.size(); ++i) place[order[i]] = i;

  auto rng = rng_for(seed, generation);
  std::uniform_int_distribution<size_t> any(0, evaluated.size() - 1);
  const auto tournament = [&]() -> const Genome& {
    const size_t a = any(rng), b = any(rng);
    return evaluated[place[a] <= place[b] ? a : b].genome;
  };
  std::set<Genome> seen;
  for (const auto& e : evaluated) seen.insert(e.genome);
  const double mutation = significance.empty() ? 0 : 1.0 / significance.size();
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<Genome> out;
  for (int tries = 0; static_cast<int>(out.size()) < s.population && tries < 100 * s.population;
       ++tries) {
    const Genome& x = tournament();
    const Genome& y = tournament();
    Genome child(x.size());
    for (size_t i = 0; i < child.size(); ++i) {
      child[i] = unit(rng) < 0.5 ? x[i] : y[i];
      if (unit(rng) < mutation)
        child[i] = draw_bits(mutation_probability(significance[i], s), s, rng);
    }
    if (upgraded(child) && seen.insert(child).second) out.push_back(std::move(child));
  }
  return out;
}

}  // namespace hybridnet::search
