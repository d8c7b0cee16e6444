// K-means partition (binarisation-error paper): the layers of the high-metric cluster keep FP
// inputs, when that cluster holds at most a share R of the layers.
#include <memory>

#include "search/family.h"

namespace hybridnet::search {

using nlohmann::json;

namespace {

class PartitionFamily : public Family {
 public:
  PartitionFamily()
      : Family({"partition",
                "K-means partition: the high-metric cluster keeps FP inputs",
                {{"R", 0.2, "largest share of layers in the high-error cluster"},
                 {"gamma", "auto", "size weight of M = E + gamma / FLOPs, or \"auto\""}},
                /*needs_profile=*/true}) {}

  void check(const json& s) const override {
    check_param_range(name(), "R", number_param(s, "R"), 0, 1, true);
    if (!(s.at("gamma").is_string() && s.at("gamma") == "auto"))
      check_param_range(name(), "gamma", number_param(s, "gamma"), 0, 1e300, false);
  }

  analysis::Selection select(const json& s, const analysis::Profile& profile,
                             uint64_t seed) const override {
    check(s);
    const json& g = s.at("gamma");
    const double gamma = g.is_string() ? -1.0 : g.get<double>();
    return analysis::select_partition(analysis::retune(profile, profile.threshold, gamma),
                                      number_param(s, "R"), seed);
  }
};

}  // namespace

std::unique_ptr<Family> make_partition_family() { return std::make_unique<PartitionFamily>(); }

}  // namespace hybridnet::search
