// Reads a trained HybridNet's weights out into NetworkWeights (models/network_weights.h): what
// the ONNX writer and the binary runtime store, computed by the same quantizer code that
// training ran, so the exported weights are training's bit for bit.
#pragma once

#include "models/network.h"
#include "models/network_weights.h"

namespace hybridnet::models {

/// Every layer's weights as evaluation uses them (quantized filters as codes and alpha, batch
/// norms from their running statistics). The network is read, not changed.
NetworkWeights extract_network_weights(const HybridNetImpl& net);

}  // namespace hybridnet::models
