// Network assembly and forward pass.
#include "models/network.h"

#include <mutex>
#include <set>

#include "models/quant_layers.h"

namespace hybridnet::models {

namespace {

std::string module_name(const LayerSpec& l) {
  std::string s = l.name;
  for (char& c : s)
    if (c == '.') c = '_';
  return s;
}

// Identity shortcut where the shape changes: subsample by the stride, zero-pad channels.
torch::Tensor identity_shortcut(const torch::Tensor& in, const torch::Tensor& out) {
  torch::Tensor s = in;
  const int64_t step = (in.size(2) + out.size(2) - 1) / out.size(2);
  if (step > 1) s = s.slice(2, 0, c10::nullopt, step).slice(3, 0, c10::nullopt, step);
  const int64_t missing = out.size(1) - s.size(1);
  if (missing > 0)
    s = torch::cat({s, torch::zeros({s.size(0), missing, s.size(2), s.size(3)}, s.options())}, 1);
  return s;
}

}  // namespace

HybridNetImpl::HybridNetImpl(Architecture arch, HybridPlan plan)
    : arch_(std::move(arch)), plan_(std::move(plan)) {
  norms_.resize(arch_.layers.size());
  layers_.resize(arch_.layers.size());
  for (const auto& l : arch_.layers) {
    const Precision p = plan_.precision(l.name);
    const std::string name = module_name(l);
    const bool main_path = l.role == LayerRole::kBody || l.role == LayerRole::kClassifier ||
                           l.role == LayerRole::kExit;
    const FpActivation act = main_path ? FpActivation::kRelu : FpActivation::kIdentity;
    if (l.kind == LayerKind::kConv) {
      QuantConv2d conv(QuantConv2dOptions(l.in_channels, l.out_channels, l.kernel)
                           .stride(l.stride)
                           .padding(l.padding)
                           .precision(p)
                           .fp_activation(act));
      layers_[l.index] = torch::nn::AnyModule(register_module(name, conv));
      if (l.role != LayerRole::kStem)
        norms_[l.index] = torch::nn::AnyModule(
            register_module(name + "_bn", torch::nn::BatchNorm2d(l.in_channels)));
    } else {
      QuantLinear fc(
          QuantLinearOptions(l.in_channels, l.out_channels).precision(p).fp_activation(act));
      layers_[l.index] = torch::nn::AnyModule(register_module(name, fc));
      norms_[l.index] = torch::nn::AnyModule(
          register_module(name + "_bn", torch::nn::BatchNorm1d(l.in_channels)));
    }
  }
}

namespace {
// A contiguous float CPU tensor (no copy when it already is one) and its view.
std::pair<torch::Tensor, ActivationView> activation_view(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  ActivationView v;
  v.data = c.data_ptr<float>();
  v.samples = t.size(0);
  v.channels = t.size(1);
  v.positions = t.dim() == 4 ? t.size(2) * t.size(3) : 1;
  return {c, v};
}
}  // namespace

torch::Tensor HybridNetImpl::unit(int index, const torch::Tensor& x) {
  auto& norm = norms_[index];
  const torch::Tensor in = norm.is_empty() ? x : norm.forward(x);
  torch::Tensor out = layers_[index].forward(in);
  if (observer_) {
    const auto [in_tensor, in_view] = activation_view(in);
    const auto [out_tensor, out_view] = activation_view(out);
    observer_(index, in_view, out_view);
  }
  return out;
}

torch::Tensor HybridNetImpl::forward(torch::Tensor x) { return forward_exits(x).back(); }

std::vector<torch::Tensor> HybridNetImpl::forward_exits(torch::Tensor x) {
  std::vector<torch::Tensor> logits;
  size_t next_exit = 0;
  x = unit(arch_.stem, x);
  if (arch_.stem_pool == StemPool::kMax3x3Stride2)
    x = torch::max_pool2d(x, 3, 2, 1);
  else if (arch_.stem_pool == StemPool::kMax2x2)
    x = torch::max_pool2d(x, 2, 2, 0, 1, /*ceil_mode=*/true);
  for (const auto& b : arch_.blocks) {
    torch::Tensor y = x;
    for (int i : b.main) y = unit(i, y);
    if (b.residual && !plain_)
      y = y + (b.shortcut >= 0 ? unit(b.shortcut, x) : identity_shortcut(x, y));
    x = b.pool_after ? torch::max_pool2d(y, 2, 2, 0, 1, /*ceil_mode=*/true) : y;
    const int block = static_cast<int>(&b - arch_.blocks.data());
    for (; next_exit < arch_.exits.size() && arch_.exits[next_exit].after_block == block;
         ++next_exit)
      logits.push_back(
          unit(arch_.exits[next_exit].layer, torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1)));
  }
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  for (int i : arch_.classifier) x = unit(i, x);
  logits.push_back(x);
  return logits;
}

void HybridNetImpl::set_quantizer(const QuantizerOptions& options) {
  for (auto& layer : layers_) {
    if (auto* conv = dynamic_cast<QuantConv2dImpl*>(layer.ptr().get()))
      conv->options.quantizer(options);
    if (auto* fc = dynamic_cast<QuantLinearImpl*>(layer.ptr().get()))
      fc->options.quantizer(options);
  }
}

void HybridNetImpl::freeze_backbone() {
  std::set<std::string> exits;
  for (const auto& e : arch_.exits) {
    const std::string name = module_name(arch_.layers[e.layer]);
    exits.insert(name + ".");
    exits.insert(name + "_bn.");
  }
  for (auto& p : named_parameters()) {
    bool exit_param = false;
    for (const auto& prefix : exits) exit_param |= p.key().rfind(prefix, 0) == 0;
    if (exit_param) continue;
    p.value().set_requires_grad(false);
    p.value().mutable_grad() = torch::Tensor();  // optimizers skip parameters without a grad
  }
}

void HybridNetImpl::train_exits_only() {
  eval();
  for (const auto& e : arch_.exits) {
    layers_[e.layer].ptr()->train(true);
    norms_[e.layer].ptr()->train(true);
  }
}

HybridNet build_network(const HybridPlan& plan, int in_channels, int in_h, int in_w,
                        int num_classes) {
  return HybridNet(describe_architecture(plan.arch_config(in_channels, in_h, in_w, num_classes)),
                   plan);
}

HybridNet build_seeded_network(const HybridPlan& plan, uint64_t seed, int in_channels, int in_h,
                               int in_w, int num_classes) {
  static std::mutex global_generator;
  std::lock_guard<std::mutex> lock(global_generator);
  torch::manual_seed(seed);
  return build_network(plan, in_channels, in_h, in_w, num_classes);
}

}  // namespace hybridnet::models
