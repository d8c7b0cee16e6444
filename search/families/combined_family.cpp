// PCA and partition combined: K-means over each layer's PCA delta k and partition metric; the
// high cluster's layers (at most a share R) are upgraded to kb bits (32: FP inputs).
#include <memory>

#include "search/family.h"

namespace hybridnet::search {

using nlohmann::json;

namespace {

class CombinedFamily : public Family {
 public:
  CombinedFamily()
      : Family({"combined",
                "K-means over PCA delta k and the partition metric",
                {{"R", 0.2, "largest share of layers upgraded"},
                 {"kb", 2, "bits of the upgraded layers (32: FP inputs)"}},
                /*needs_profile=*/true}) {}

  void check(const json& s) const override {
    check_param_range(name(), "R", number_param(s, "R"), 0, 1, true);
    const double kb = number_param(s, "kb");
    if (kb != 32) check_param_range(name(), "kb", kb, 2, 8, false);
  }

  analysis::Selection select(const json& s, const analysis::Profile& profile,
                             uint64_t seed) const override {
    check(s);
    return analysis::select_combined(profile, number_param(s, "R"), s.at("kb").get<int>(), seed);
  }
};

}  // namespace

std::unique_ptr<Family> make_combined_family() { return std::make_unique<CombinedFamily>(); }

}  // namespace hybridnet::search
