// Weights from one network into another of the same layers wired otherwise.
#include "models/weight_transfer.h"

#include <string>
#include <vector>

#include "models/error.h"

namespace hybridnet::models {

namespace {

// Every parameter and buffer of `dst` from the one of the same name in `src`.
void copy_module(const std::shared_ptr<torch::nn::Module>& src,
                 const std::shared_ptr<torch::nn::Module>& dst, const std::string& layer) {
  if (!src || !dst) {
    if (src || dst) throw ConfigError("layer " + layer + ": one network has no batch norm");
    return;
  }
  auto copy_all = [&](const torch::OrderedDict<std::string, torch::Tensor>& to,
                      const torch::OrderedDict<std::string, torch::Tensor>& from) {
    for (const auto& item : to) {
      const torch::Tensor* s = from.find(item.key());
      if (!s || !s->sizes().equals(item.value().sizes()))
        throw ConfigError("layer " + layer + ": " + item.key() + " has another shape or none");
      item.value().copy_(*s);
    }
  };
  copy_all(dst->named_parameters(), src->named_parameters());
  copy_all(dst->named_buffers(), src->named_buffers());
}

}  // namespace

void copy_weights_by_role(HybridNetImpl& into, const HybridNetImpl& from) {
  const auto source = from.architecture().layers_by_role();
  auto target = into.architecture().layers_by_role();
  torch::NoGradGuard no_grad;
  for (const auto& [role, indices] : source) {
    const auto& targets = target[role];
    if (targets.size() != indices.size())
      throw ConfigError("cannot copy weights from " + from.plan().arch + " into " +
                        into.plan().arch + ": " + std::to_string(indices.size()) + " " +
                        to_string(role) + " layers into " + std::to_string(targets.size()));
    for (size_t i = 0; i < indices.size(); ++i) {
      const std::string& name = into.architecture().layers[targets[i]].name;
      copy_module(from.layer_module(indices[i]), into.layer_module(targets[i]), name);
      copy_module(from.norm_module(indices[i]), into.norm_module(targets[i]), name);
    }
  }
  for (const auto& [role, indices] : target)
    if (!indices.empty() && !source.count(role))
      throw ConfigError("cannot copy weights from " + from.plan().arch + " into " +
                        into.plan().arch + ": it has no " + to_string(role) + " layers");
}

}  // namespace hybridnet::models
