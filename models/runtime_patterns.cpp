#include "models/runtime_patterns.h"

#include <set>

namespace hybridnet::models::runtime {

PatternMatcher::PatternMatcher(const Graph& g) : g_(g) {
  for (size_t k = 0; k < g.nodes.size(); ++k)
    for (const auto& o : g.nodes[k].outputs) producer_[o] = k;
}

const Node* PatternMatcher::producer(const std::string& value, const char* op) const {
  auto it = producer_.find(value);
  if (it == producer_.end()) return nullptr;
  const Node& n = g_.nodes[it->second];
  return n.op == op ? &n : nullptr;
}

std::optional<float> PatternMatcher::scalar(const std::string& name) const {
  auto it = g_.constants.find(name);
  if (it == g_.constants.end() || it->second.type != ElementType::kFloat ||
      it->second.f.size() != 1)
    return std::nullopt;
  return it->second.f[0];
}

bool PatternMatcher::is(const std::string& name, float value) const {
  const auto v = scalar(name);
  return v && *v == value;
}

const Tensor* PatternMatcher::per_channel(const std::string& name, int64_t channels) const {
  auto it = g_.constants.find(name);
  if (it == g_.constants.end() || it->second.type != ElementType::kFloat ||
      it->second.shape != std::vector<int64_t>{channels, 1, 1})
    return nullptr;
  return &it->second;
}

std::string PatternMatcher::sign_input(const std::string& value) const {
  const Node* where = producer(value, "Where");
  if (!where || where->inputs.size() != 3 || !is(where->inputs[1], 1.0f) ||
      !is(where->inputs[2], -1.0f))
    return "";
  const Node* ge = producer(where->inputs[0], "GreaterOrEqual");
  if (!ge || ge->inputs.size() != 2 || !is(ge->inputs[1], 0.0f)) return "";
  return ge->inputs[0];
}

std::string PatternMatcher::kbit_input(const std::string& value, int& levels) const {
  // Walks the chain back from its last node; each step: operator, which input is the chain,
  // and the constant the other input must be (n for the levels, checked below).
  const Node* times2 = producer(value, "Mul");
  if (!times2 || times2->inputs.size() != 2 || !is(times2->inputs[0], 2.0f)) return "";
  const Node* sub = producer(times2->inputs[1], "Sub");
  if (!sub || !is(sub->inputs.at(1), 0.5f)) return "";
  const Node* div_n = producer(sub->inputs[0], "Div");
  if (!div_n) return "";
  const auto n = scalar(div_n->inputs.at(1));
  if (!n || *n < 1 || *n > 255) return "";
  const Node* floor = producer(div_n->inputs[0], "Floor");
  if (!floor) return "";
  const Node* half = producer(floor->inputs.at(0), "Add");
  if (!half || !is(half->inputs.at(1), 0.5f)) return "";
  const Node* div2 = producer(half->inputs[0], "Div");
  if (!div2 || !is(div2->inputs.at(1), 2.0f)) return "";
  const Node* times_n = producer(div2->inputs[0], "Mul");
  if (!times_n || !is(times_n->inputs.at(0), *n)) return "";
  const Node* plus1 = producer(times_n->inputs.at(1), "Add");
  if (!plus1 || !is(plus1->inputs.at(1), 1.0f)) return "";
  const Node* clip = producer(plus1->inputs[0], "Clip");
  if (!clip || clip->inputs.size() != 3 || !is(clip->inputs[1], -1.0f) ||
      !is(clip->inputs[2], 1.0f))
    return "";
  const int k = int(*n);
  if (float(k) != *n || (k & (k + 1)) != 0) return "";  // n = 2^bits - 1
  levels = k;
  return clip->inputs[0];
}

std::string PatternMatcher::batch_norm_input(const std::string& value, int64_t channels,
                                             std::vector<float>& scale,
                                             std::vector<float>& shift) const {
  const Node* add = producer(value, "Add");
  const Tensor* b =
      add && add->inputs.size() == 2 ? per_channel(add->inputs[1], channels) : nullptr;
  const Node* mul = b ? producer(add->inputs[0], "Mul") : nullptr;
  const Tensor* a =
      mul && mul->inputs.size() == 2 ? per_channel(mul->inputs[1], channels) : nullptr;
  if (!a) return value;
  scale.assign(a->f.begin(), a->f.end());
  shift.assign(b->f.begin(), b->f.end());
  return mul->inputs[0];
}

bool is_unbiased_conv(const Node& n) {
  return n.op == "Conv" && n.inputs.size() >= 2 && (n.inputs.size() == 2 || n.inputs[2].empty());
}

void make_fused(Node& n, const std::string& op, const std::string& input) {
  n.op = op;
  n.inputs = {input};
  n.ints.clear();
  n.int_lists.clear();
  n.strings.clear();
}

void drop_unread(Graph& g) {
  for (bool removed = true; removed;) {
    removed = false;
    std::set<std::string> read(g.outputs.begin(), g.outputs.end());
    for (const auto& n : g.nodes) read.insert(n.inputs.begin(), n.inputs.end());
    for (auto it = g.nodes.begin(); it != g.nodes.end();) {
      bool used = false;
      for (const auto& o : it->outputs) used = used || read.count(o);
      if (used) {
        ++it;
      } else {
        it = g.nodes.erase(it);
        removed = true;
      }
    }
    if (!removed)
      for (auto it = g.constants.begin(); it != g.constants.end();)
        it = read.count(it->first) ? std::next(it) : g.constants.erase(it);
  }
}

}  // namespace hybridnet::models::runtime
