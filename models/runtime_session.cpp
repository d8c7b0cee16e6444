#include "models/runtime_session.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "models/error.h"
#include "models/runtime_ops.h"
#include "models/runtime_sgemm.h"

namespace hybridnet::models::runtime {

Session::Session(Graph graph, bool binary_kernels, KernelSet set)
    : graph_(std::move(graph)), set_(set) {
  if (binary_kernels) {
    fuse_binary_convs(graph_, binary_);
    fuse_kbit_convs(graph_, kbit_);
  }
  for (size_t k = 0; k < graph_.nodes.size(); ++k)
    for (const auto& i : graph_.nodes[k].inputs) last_use_[i] = k;
  // The float weights that loading and fusing freed are not activations' sizes: give them back.
  release_cached_blocks();
}

int64_t Session::constant_bytes() const {
  int64_t bytes = 0;
  for (const auto& [name, t] : graph_.constants)
    bytes += int64_t(t.f.size()) * 4 + int64_t(t.i64.size()) * 8 + int64_t(t.u8.size());
  for (const auto& [name, w] : binary_) bytes += w.bytes();
  for (const auto& [name, w] : kbit_) bytes += w.bytes();
  return bytes;
}

std::string Session::kernels() const {
  const std::string floats = std::string("float on ") + sgemm_library();
  if (binary_.empty() && kbit_.empty()) return floats;
  return std::string(to_string(set_)) + " (" + std::to_string(binary_.size()) +
         " binary conv(s), " + std::to_string(kbit_.size()) + " k-bit conv(s)), " + floats +
         " for the rest";
}

std::map<std::string, Tensor> Session::run(const Tensor& input,
                                           std::map<std::string, double>* seconds_by_op) const {
  if (input.type != ElementType::kFloat || input.shape.size() != graph_.input_shape.size() + 1 ||
      !std::equal(graph_.input_shape.begin(), graph_.input_shape.end(), input.shape.begin() + 1))
  {
    std::string wanted = "[N";
    for (int64_t d : graph_.input_shape) wanted += ", " + std::to_string(d);
    throw ConfigError("input " + graph_.input + ": shape " + shape_text(input.shape) +
                      " does not fit the model's " + wanted + "]");
  }
  std::map<std::string, Tensor> values;
  auto lookup = [&](const std::string& name) -> const Tensor* {
    if (name.empty()) return nullptr;
    if (name == graph_.input) return &input;
    if (auto it = values.find(name); it != values.end()) return &it->second;
    if (auto it = graph_.constants.find(name); it != graph_.constants.end()) return &it->second;
    throw ConfigError("value " + name + " is not computed");
  };
  const std::set<std::string> outputs(graph_.outputs.begin(), graph_.outputs.end());
  for (size_t k = 0; k < graph_.nodes.size(); ++k) {
    const Node& n = graph_.nodes[k];
    std::vector<const Tensor*> args;
    for (const auto& i : n.inputs) args.push_back(lookup(i));
    std::vector<Tensor> results;
    const auto start = std::chrono::steady_clock::now();
    if (n.op == "HybridnetBinaryConv")
      results.push_back(binary_conv(*args.at(0), binary_.at(n.name), set_));
    else if (n.op == "HybridnetKbitConv")
      results.push_back(kbit_conv(*args.at(0), kbit_.at(n.name), set_));
    else if (n.op == "Add" && args.size() == 2 && n.inputs[0] != n.inputs[1] &&
             values.count(n.inputs[0]) && !outputs.count(n.inputs[0]) &&
             last_use_.at(n.inputs[0]) == k && args[0]->type == ElementType::kFloat &&
             args[1]->type == ElementType::kFloat && args[0]->shape == args[1]->shape) {
      // A residual Add whose first operand dies here: added into that operand's buffer (no
      // allocation; the same float sums).
      Tensor sum = std::move(values.at(n.inputs[0]));
      add_in_place(sum.f.data(), args[1]->f.data(), int64_t(sum.f.size()));
      results.push_back(std::move(sum));
    } else {
      results = run_op(n, args);
    }
    if (seconds_by_op)
      (*seconds_by_op)[n.op] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const auto& i : n.inputs)  // free what no later node reads
      if (!outputs.count(i) && last_use_.at(i) == k) values.erase(i);
    for (size_t o = 0; o < n.outputs.size() && o < results.size(); ++o)
      values[n.outputs[o]] = std::move(results[o]);
  }
  std::map<std::string, Tensor> out;
  for (const auto& name : graph_.outputs) out[name] = *lookup(name);
  return out;
}

}  // namespace hybridnet::models::runtime
