// Batch-norm recalibration and freezing (see the header for why).
#include "models/batch_norm_recalibration.h"

#include <vector>

namespace hybridnet::models {

namespace {

// A batch norm's momentum and a way to set it: BatchNorm1d and 2d share no typed base that
// exposes their options.
struct Norm {
  c10::optional<double>* momentum;
  c10::optional<double> saved;
};

template <class Impl>
bool collect(torch::nn::Module& m, std::vector<Norm>& out) {
  auto* bn = dynamic_cast<Impl*>(&m);
  if (!bn) return false;
  bn->reset_running_stats();
  out.push_back({&bn->options.momentum(), bn->options.momentum()});
  // No momentum: the statistics become the cumulative average of every batch that follows.
  bn->options.momentum(c10::nullopt);
  return true;
}

bool is_batch_norm(const torch::nn::Module& m) {
  return dynamic_cast<const torch::nn::BatchNorm2dImpl*>(&m) ||
         dynamic_cast<const torch::nn::BatchNorm1dImpl*>(&m);
}

}  // namespace

void freeze_batch_norm(HybridNet& net) {
  for (const auto& m : net->modules(/*include_self=*/false))
    if (is_batch_norm(*m)) m->eval();
}

int recalibrate_batch_norm(HybridNet& net, const torch::Tensor& images, int64_t batch_size,
                           torch::Device device) {
  std::vector<Norm> norms;
  for (const auto& m : net->modules(/*include_self=*/false)) {
    if (!m->is_training()) continue;
    if (!collect<torch::nn::BatchNorm2dImpl>(*m, norms))
      collect<torch::nn::BatchNorm1dImpl>(*m, norms);
  }
  int used = 0;
  if (!norms.empty()) {
    torch::NoGradGuard no_grad;
    const int64_t n = images.size(0);
    for (int64_t begin = 0; begin < n; begin += batch_size) {
      const int64_t end = std::min(n, begin + batch_size);
      if (end - begin < 2) continue;
      net->forward_exits(images.slice(0, begin, end).to(device));
      ++used;
    }
  }
  for (auto& norm : norms) *norm.momentum = norm.saved;
  return used;
}

}  // namespace hybridnet::models
