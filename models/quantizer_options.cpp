// Names of the quantizer options.
#include "models/quantizer_options.h"

#include "models/error.h"

namespace hybridnet::models {

std::string to_string(KbitInputGrad g) {
  return g == KbitInputGrad::kClipped ? "clipped" : "identity";
}

std::string to_string(KbitWeightScale s) { return s == KbitWeightScale::kMse ? "mse" : "max"; }

KbitInputGrad kbit_input_grad_from_string(const std::string& name, const std::string& what) {
  if (name == "clipped") return KbitInputGrad::kClipped;
  if (name == "identity") return KbitInputGrad::kIdentity;
  throw ConfigError(what + " must be clipped or identity, not '" + name + "'");
}

KbitWeightScale kbit_weight_scale_from_string(const std::string& name, const std::string& what) {
  if (name == "mse") return KbitWeightScale::kMse;
  if (name == "max") return KbitWeightScale::kMax;
  throw ConfigError(what + " must be mse or max, not '" + name + "'");
}

void to_json(nlohmann::json& j, KbitInputGrad g) { j = to_string(g); }
void from_json(const nlohmann::json& j, KbitInputGrad& g) {
  g = kbit_input_grad_from_string(j.get<std::string>());
}
void to_json(nlohmann::json& j, KbitWeightScale s) { j = to_string(s); }
void from_json(const nlohmann::json& j, KbitWeightScale& s) {
  s = kbit_weight_scale_from_string(j.get<std::string>());
}

}  // namespace hybridnet::models
