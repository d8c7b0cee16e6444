// Writes a trained network as an ONNX model that runs in an unmodified ONNX Runtime: standard
// operators of opset 17 only, and exactly the arithmetic of training's evaluation mode.
//   - Input `input`: float [N, C, H, W] raw pixels in [0, 1]; the dataset's normalisation is
//     the graph's first two nodes. Output `logits` (and `exitK_logits` of early exits).
//   - Batch norms: x * scale + shift per channel, LibTorch's own evaluation-mode coefficients.
//   - Binary inputs: Where(x >= 0, 1, -1), i.e. sign with sign(0) = +1 as in training (ONNX's
//     Sign(0) is 0); k-bit inputs: q_k(clip(x, -1, 1)) of the PCA paper's eq. 3 as nodes. A
//     Conv's zero padding then pads the quantized input with 0, as training does.
//   - Quantized weights are stored as bits: a uint8 initializer of k bit-planes per layer,
//     unpacked by BitShift / Mod / Cast and scaled by alpha per filter (nodes that runtimes
//     fold into constants at load), giving alpha * q exactly as training did.
//   - Intra-layer sections: the FP filters (on the FP input) and the quantized filters run as
//     two convolutions whose outputs are concatenated along channels.
// No torch here: the weights come as NetworkWeights (models/network_weights_extract.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/architecture.h"
#include "models/data_options.h"
#include "models/hybrid_plan.h"
#include "models/network_weights.h"

namespace hybridnet::models {

constexpr int kOnnxOpset = 17;
constexpr int kOnnxIrVersion = 8;

/// What goes into an ONNX file besides the graph.
struct OnnxModelInfo {
  Normalisation normalisation;           ///< applied inside the graph; empty = none
  std::vector<std::string> class_names;  ///< by label
  /// Metadata properties added to the standard ones (plan_hash, architecture, classes,
  /// input_shape, normalisation, hybridnet_version, part).
  std::map<std::string, std::string> metadata;
};

/// Which part of a network a file holds. An edge-cloud network (plan.edge_layers > 0) splits at
/// the end of its edge: the edge part maps `input` to its early exits' logits and `features`,
/// the feature map it sends on; the cloud part maps `features` to `logits`.
enum class OnnxPart { kWhole, kEdge, kCloud };
const char* to_string(OnnxPart part);

/// The serialised ModelProto of `part` of the network, valid for ONNX's checker (a failure
/// there is a ConfigError naming the check). `arch` must be the plan's architecture at the data
/// shape and `weights` the trained network's.
std::string onnx_model(const Architecture& arch, const HybridPlan& plan,
                       const NetworkWeights& weights, const OnnxModelInfo& info, OnnxPart part);

/// hybridnet's version, as the files it writes record it.
const char* hybridnet_version();

}  // namespace hybridnet::models
