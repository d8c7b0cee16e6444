// The layer patterns `hybridnet export` writes (models/onnx_writer.cpp), as the runtime's
// fusions find them in a loaded graph: the training sign, the q_k input quantizer, the batch
// norm before them. No torch.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/runtime_graph.h"

namespace hybridnet::models::runtime {

class PatternMatcher {
 public:
  explicit PatternMatcher(const Graph& g);
  /// The node that writes `value` when it is an `op` node; nullptr otherwise (a constant, the
  /// input, another operator).
  const Node* producer(const std::string& value, const char* op) const;
  /// The value of a one-element float constant.
  std::optional<float> scalar(const std::string& name) const;
  /// The sign of training, Where(GreaterOrEqual(x, 0), 1, -1), writing `value`: x, or "".
  std::string sign_input(const std::string& value) const;
  /// q_k of eq. 3 writing `value`: Clip(x, -1, 1) -> Add 1 -> Mul n -> Div 2 -> Add 0.5 ->
  /// Floor -> Div n -> Sub 0.5 -> Mul 2. Its input x and `levels` = n, or "".
  std::string kbit_input(const std::string& value, int& levels) const;
  /// Batch norm writing `value`: Mul(x, scale) -> Add(., shift), both float [channels, 1, 1].
  /// x, with scale and shift filled; `value` itself when it is not one.
  std::string batch_norm_input(const std::string& value, int64_t channels,
                               std::vector<float>& scale, std::vector<float>& shift) const;

 private:
  const Tensor* per_channel(const std::string& name, int64_t channels) const;
  bool is(const std::string& name, float value) const;

  const Graph& g_;
  std::map<std::string, size_t> producer_;  // value -> index of the node writing it
};

/// A Conv without a bias input: what the runtime's fusions replace.
bool is_unbiased_conv(const Node& n);
/// Turns `n` into the fused operator `op` reading `input` alone (its attributes dropped; its
/// outputs and name kept, the fused weights being found by the name).
void make_fused(Node& n, const std::string& op, const std::string& input);

/// Drops the nodes and constants nothing reads any more (what a fusion left behind).
void drop_unread(Graph& g);

}  // namespace hybridnet::models::runtime
