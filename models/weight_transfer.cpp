// Weights from one network into another of the same layers wired otherwise.
#include "models/weight_transfer.h"

#include <string>

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
  torch::NoGradGuard no_grad;
  for (const auto& [source, target] :
       layers_matched_by_role(from.architecture(), into.architecture())) {
    const std::string& name = into.architecture().layers[target].name;
    copy_module(from.layer_module(source), into.layer_module(target), name);
    copy_module(from.norm_module(source), into.norm_module(target), name);
  }
}

}  // namespace hybridnet::models
