// PCA-driven hybrid (PCA paper, section 3): layers whose significant dimensions grow by more than
// delta over the previous layer's get kb-bit weights and inputs. On ResNets the paper's
// Hybrid-Net also adds an identity shortcut around every conv (section 4.3.1: "we add identity
// shortcut connections at every layer instead of every two layers"); `shortcut` 2 keeps the
// baseline's wiring.
#include <memory>

#include "search/family.h"

namespace hybridnet::search {

using nlohmann::json;

namespace {

class PcaFamily : public Family {
 public:
  PcaFamily()
      : Family({"pca",
                "PCA-driven: significant layers get kb-bit weights and inputs",
                {{"T", 0.99, "PCA variance threshold"},
                 {"delta", 1.0, "significance: k_i - k_(i-1) > delta"},
                 {"kb", 2, "bits of the significant layers"},
                 {"shortcut", 1,
                  "ResNets: convs per residual shortcut (1: around every conv, the paper's "
                  "Hybrid-Net; 2: the XNOR baseline's)"}},
                /*needs_profile=*/true}) {}

  void check(const json& s) const override {
    check_param_range(name(), "T", number_param(s, "T"), 0, 1, true);
    check_param_range(name(), "delta", number_param(s, "delta"), 0, 1e9, false);
    check_param_range(name(), "kb", number_param(s, "kb"), 2, 8, false);
    const double every = number_param(s, "shortcut");
    if (every != 1 && every != 2)
      throw ConfigError(name() + ": shortcut = " + s.at("shortcut").dump() + " must be 1 or 2");
  }

  analysis::Selection select(const json& s, const analysis::Profile& profile,
                             uint64_t) const override {
    check(s);
    auto selection =
        analysis::select_pca(analysis::retune(profile, number_param(s, "T"), profile.gamma),
                             number_param(s, "delta"), s.at("kb").get<int>());
    // The profile names layers in the baseline's wiring; the plan keeps their precisions.
    selection.plan = models::with_shortcut_every(selection.plan, s.at("shortcut").get<int>());
    return selection;
  }
};

}  // namespace

std::unique_ptr<Family> make_pca_family() { return std::make_unique<PcaFamily>(); }

}  // namespace hybridnet::search
