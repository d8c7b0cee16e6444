// Runs a loaded ONNX graph (models/runtime_graph.h) on a batch: node by node with the
// reference kernels of models/runtime_ops.h, freeing each intermediate value after its last
// reader. No torch.
#pragma once

#include <map>
#include <string>

#include "models/runtime_binary.h"
#include "models/runtime_kbit.h"
#include "models/runtime_graph.h"

namespace hybridnet::models::runtime {

class Session {
 public:
  /// `binary_kernels`: run binary convolutions as XNOR + popcount (fuse_binary_convs) and
  /// k-bit ones as bit-serial popcounts (fuse_kbit_convs) with the kernel set `set`; off, every
  /// layer runs with the float kernels.
  explicit Session(Graph graph, bool binary_kernels = true, KernelSet set = best_kernel_set());
  /// The graph's outputs for `input` ([N, ...] float, the graph input's shape after N).
  /// ConfigError naming the node that fails, or the input when its shape does not fit.
  /// With `seconds_by_op`, adds each node's time to its operator's entry (the benchmarks' split
  /// between binary and float layers).
  std::map<std::string, Tensor> run(const Tensor& input,
                                    std::map<std::string, double>* seconds_by_op = nullptr) const;
  const Graph& graph() const { return graph_; }
  /// Bytes of the constants (weights) held, binary weights as their bits.
  int64_t constant_bytes() const;
  /// Which kernels run: the popcount kernel set ("avx512", "avx2", "popcnt", "scalar",
  /// "reference") with how many binary and k-bit convolutions use it, and the float library.
  std::string kernels() const;
  int binary_convs() const { return static_cast<int>(binary_.size()); }
  int kbit_convs() const { return static_cast<int>(kbit_.size()); }
  KernelSet kernel_set() const { return set_; }

 private:
  Graph graph_;
  std::map<std::string, BinaryConvWeights> binary_;  // by node name
  std::map<std::string, KbitConvWeights> kbit_;
  KernelSet set_;
  std::map<std::string, size_t> last_use_;  // value -> index of the last node reading it
};

}  // namespace hybridnet::models::runtime
