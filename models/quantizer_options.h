// How the quantizers of quantizer.h quantize and pass gradients: plain enums and a struct without
// torch types, so that a run's training settings (run_spec.h) can name them. The choices and why
// the defaults are what they are: quantizer.h.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace hybridnet::models {

/// Gradient of the k-bit input quantizer outside its domain [-1, 1]: zero (clipped, as sign's)
/// or passed unchanged (identity, the PCA paper's text).
enum class KbitInputGrad { kClipped, kIdentity };
/// Scale of the k-bit weight grid: the least-squares fit per filter (mse), or max |W| (max).
enum class KbitWeightScale { kMse, kMax };

/// "clipped" | "identity"
std::string to_string(KbitInputGrad g);
/// "mse" | "max"
std::string to_string(KbitWeightScale s);
/// The enum named `name`; ConfigError naming `what` and the allowed names otherwise.
KbitInputGrad kbit_input_grad_from_string(const std::string& name,
                                          const std::string& what = "kbit_input_grad");
KbitWeightScale kbit_weight_scale_from_string(const std::string& name,
                                              const std::string& what = "kbit_weight_scale");

// JSON as the names above; an unknown name is a ConfigError (not silently the first value).
void to_json(nlohmann::json& j, KbitInputGrad g);
void from_json(const nlohmann::json& j, KbitInputGrad& g);
void to_json(nlohmann::json& j, KbitWeightScale s);
void from_json(const nlohmann::json& j, KbitWeightScale& s);

/// The quantizers' settings of one network.
struct QuantizerOptions {
  KbitInputGrad kbit_input_grad = KbitInputGrad::kClipped;
  KbitWeightScale kbit_weight_scale = KbitWeightScale::kMse;
  bool alpha_grad = false;  ///< differentiate alpha (XNOR-Net) instead of treating it as constant
};

}  // namespace hybridnet::models
