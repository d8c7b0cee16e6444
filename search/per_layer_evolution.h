// The per-layer family's search (issue 18): candidates are per-layer bit assignments of the
// eligible layers (the quantized body layers the papers' selectors choose among), drawn around
// the analysis profile and evolved NSGA-II style. Generation 0 spans the cost axis (individual i
// of P upgrades about (i + 1) / P of the layers), each layer upgraded with a probability that
// grows with its PCA significance (delta k_i) and its binarisation metric M_i, so that the
// layers the papers' selectors would pick are the likely ones but every assignment is possible. Later generations breed from every individual evaluated so far: binary
// tournaments on (non-dominated rank, crowding distance) over (accuracy, exact energy, exact
// memory), uniform crossover, per-layer mutation biased the same way; no individual twice, never
// the all-binary baseline. Pure functions of their inputs and a seed: every process of a study
// breeds the same generation.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/profile.h"
#include "models/hybrid_plan.h"
#include "search/pareto.h"

namespace hybridnet::search {

/// Bits of each eligible layer of a profile, in profile order: 1 binary, 2..8 k-bit weights
/// and inputs, 32 full precision.
using Genome = std::vector<int>;

struct EvolutionSettings {
  std::vector<int> bits = {2, 4};   ///< the precisions an upgraded layer may take
  int population = 12;              ///< individuals per generation
  double p_min = 0.1, p_max = 0.7;  ///< a mutation's upgrade probability, least to most significant
};

/// Per eligible layer (profile order) its significance in [0, 1]: the mean of its min-max
/// scaled delta k_i and metric M_i among the eligible layers.
std::vector<double> layer_significance(const analysis::Profile& profile);

/// The profile's plan with the eligible layers at `genome`'s precisions.
models::HybridPlan genome_plan(const analysis::Profile& profile, const Genome& genome);

/// Generation 0: `population` distinct genomes, each with at least one upgraded layer.
std::vector<Genome> initial_population(const analysis::Profile& profile,
                                       const EvolutionSettings& settings, uint64_t seed);

/// An evaluated individual: its genome and objective values (in `objectives`' order).
struct Scored {
  Genome genome;
  std::vector<double> values;
};

/// The next generation bred from `evaluated` (all generations so far): up to `population`
/// genomes not among the evaluated ones. `generation` (>= 1) seeds the draw with `seed`.
std::vector<Genome> next_generation(const std::vector<Scored>& evaluated,
                                    const std::vector<Objective>& objectives,
                                    const analysis::Profile& profile,
                                    const EvolutionSettings& settings, uint64_t seed,
                                    int generation);

}  // namespace hybridnet::search
