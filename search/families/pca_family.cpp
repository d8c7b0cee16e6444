// PCA-driven hybrid (PCA paper, section 3): layers whose significant dimensions grow by more than
// delta over the previous layer's get kb-bit weights and inputs.
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
                 {"kb", 2, "bits of the significant layers"}},
                /*needs_profile=*/true}) {}

  void check(const json& s) const override {
    check_param_range(name(), "T", number_param(s, "T"), 0, 1, true);
    check_param_range(name(), "delta", number_param(s, "delta"), 0, 1e9, false);
    check_param_range(name(), "kb", number_param(s, "kb"), 2, 8, false);
  }

  analysis::Selection select(const json& s, const analysis::Profile& profile,
                             uint64_t) const override {
    check(s);
    return analysis::select_pca(analysis::retune(profile, number_param(s, "T"), profile.gamma),
                                number_param(s, "delta"), s.at("kb").get<int>());
  }
};

}  // namespace

std::unique_ptr<Family> make_pca_family() { return std::make_unique<PcaFamily>(); }

}  // namespace hybridnet::search
