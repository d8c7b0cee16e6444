// An ONNX model as the deployment runtime runs it: the nodes that depend on the input, in
// order, with every node whose inputs are all constant evaluated once at load (the unpacking of
// bit-packed weights, shapes), as ONNX Runtime folds them too. No torch.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/runtime_tensor.h"

namespace hybridnet::models::runtime {

struct Node {
  std::string op;
  std::string name;  ///< the node's name, or its first output's: what errors call it
  std::vector<std::string> inputs;  ///< "" for an optional input left out
  std::vector<std::string> outputs;
  std::map<std::string, int64_t> ints;
  std::map<std::string, std::vector<int64_t>> int_lists;
  std::map<std::string, std::string> strings;

  int64_t attr(const std::string& key, int64_t fallback) const {
    auto it = ints.find(key);
    return it == ints.end() ? fallback : it->second;
  }
  std::vector<int64_t> attr_list(const std::string& key, std::vector<int64_t> fallback) const {
    auto it = int_lists.find(key);
    return it == int_lists.end() ? fallback : it->second;
  }
};

struct Graph {
  std::vector<Node> nodes;                  ///< input-dependent nodes, in execution order
  std::map<std::string, Tensor> constants;  ///< initializers and folded values
  std::string input;                        ///< the one graph input
  std::vector<int64_t> input_shape;         ///< without the batch dimension
  std::vector<std::string> outputs;
  std::map<std::string, std::string> metadata;
};

/// Reads and folds an ONNX file. DataError naming the file when it is missing, truncated or
/// not an ONNX model; ConfigError naming the node for an operator or attribute the runtime
/// does not implement.
Graph load_graph(const std::string& path);

/// The same from the file's bytes; `where` names it in errors.
Graph parse_graph(const std::string& bytes, const std::string& where);

}  // namespace hybridnet::models::runtime
