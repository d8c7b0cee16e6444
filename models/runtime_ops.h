// Reference kernels of the ONNX operators hybridnet's exports use, in plain float arithmetic
// (convolutions and matrix products through OpenBLAS, models/runtime_sgemm.h). The runtime's optimised binary kernels are
// checked against these. No torch.
#pragma once

#include <vector>

#include "models/runtime_graph.h"

namespace hybridnet::models::runtime {

/// The operators run_op implements, for --help and errors.
const std::vector<std::string>& supported_ops();

/// Runs one node on its inputs (nullptr for an optional input left out); returns its outputs.
/// ConfigError naming the node for an unsupported operator, attribute or input type/shape.
std::vector<Tensor> run_op(const Node& node, const std::vector<const Tensor*>& inputs);

/// a[i] += b[i] for i < n (the Add of two equal shapes, in place).
void add_in_place(float* a, const float* b, int64_t n);

}  // namespace hybridnet::models::runtime
