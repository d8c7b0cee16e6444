// How the quantizers of quantizer.h quantize and pass gradients: plain enums and a struct without
// torch types, so that a run's training settings (run_spec.h) can name them. The choices and why
// the defaults are what they are: quantizer.h.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "models/json_enum.h"

namespace hybridnet::models {

/// Gradient of the k-bit input quantizer outside its domain [-1, 1]: zero (clipped, as sign's)
/// or passed unchanged (identity, the PCA paper's text).
enum class KbitInputGrad { kClipped, kIdentity };
HYBRIDNET_JSON_ENUM(KbitInputGrad, "kbit_input_grad",
                    {{KbitInputGrad::kClipped, "clipped"}, {KbitInputGrad::kIdentity, "identity"}})
/// Scale of the k-bit weight grid: the least-squares fit per filter (mse), or max |W| (max).
enum class KbitWeightScale { kMse, kMax };
HYBRIDNET_JSON_ENUM(KbitWeightScale, "kbit_weight_scale",
                    {{KbitWeightScale::kMse, "mse"}, {KbitWeightScale::kMax, "max"}})

/// The quantizers' settings of one network.
struct QuantizerOptions {
  KbitInputGrad kbit_input_grad = KbitInputGrad::kClipped;
  KbitWeightScale kbit_weight_scale = KbitWeightScale::kMse;
  bool alpha_grad = false;  ///< differentiate alpha (XNOR-Net) instead of treating it as constant
};

}  // namespace hybridnet::models
