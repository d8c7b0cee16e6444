// The plain families that are the papers' presets (models/presets.h) with some of the preset's
// parameters searched: the setting's values go to the preset as they are.
#include <memory>

#include "models/presets.h"
#include "search/family.h"

namespace hybridnet::search {

using nlohmann::json;

namespace {

class PresetFamily : public Family {
 public:
  /// `preset` takes the family's parameters of the same names; the space's width is passed as
  /// the preset's "width" unless the family has a "width" parameter of its own (inflate).
  PresetFamily(FamilyInfo info, std::string preset) : Family(std::move(info)), preset_(preset) {}

  models::HybridPlan plan(const json& setting, const std::string& arch,
                          double width) const override {
    models::PresetParams p{{"width", width}};
    for (const auto& param : params()) p[param.name] = number_param(setting, param.name);
    return models::make_preset(preset_, p, arch);
  }

 private:
  std::string preset_;
};

std::unique_ptr<Family> preset_family(FamilyInfo info, std::string preset = "") {
  if (preset.empty()) preset = info.name;
  return std::make_unique<PresetFamily>(std::move(info), std::move(preset));
}

}  // namespace

std::vector<std::unique_ptr<Family>> make_preset_families() {
  std::vector<std::unique_ptr<Family>> out;
  out.push_back(preset_family({"fp", "every layer full precision", {}}));
  out.push_back(preset_family(
      {"xnor", "XNOR-Net: stem and classifier FP, every other layer binary", {}}));
  out.push_back(preset_family({"quantized-k", "every quantized layer k-bit (VGG-2bit style)",
                               {{"k", 2, "weight and input bits, 2..8"}}}));
  out.push_back(preset_family({"inflate", "XNOR at a width multiplier",
                               {{"width", 2.0, "width multiplier (replaces the space's width)"}}}));
  out.push_back(
      preset_family({"hybrid-res-a", "ResNet: XNOR with FP shortcut (downsampling) convs", {}}));
  out.push_back(preset_family(
      {"binary-shortcut-1",
       "ResNet: XNOR with a shortcut around every conv (PCA paper's Binary-Shortcut 1)", {}}));
  out.push_back(
      preset_family({"hybrid-vgg-a", "VGG: XNOR with FP 1x1 residual convs every two convs", {}}));
  out.push_back(preset_family({"inter-layer", "ResNet inter-layer sectioning (Hybrid-Res B)",
                               {{"k", 6, "number of last body layers made FP"}}}));
  out.push_back(
      preset_family({"intra-layer", "intra-layer sectioning (Hybrid-Res C / Hybrid-VGG B)",
                     {{"p", 0.1, "fraction of filters FP in every body layer"}}}));
  out.push_back(preset_family({"hybrid-comp-a", "last k body layers kb-bit, the rest binary",
                               {{"k", 6, "last k body layers"}, {"kb", 2, "their bits"}}}));
  return out;
}

}  // namespace hybridnet::search
