// HybridNet: the torch module built from an Architecture and a HybridPlan. Every weight layer
// but the stem is a unit BN -> (activation or quantizer) -> layer (pre-activation ResNet / XNOR-Net
// order); blocks add their shortcut; global average pooling precedes the classifier.
#pragma once

#include <torch/torch.h>

#include "models/activation_view.h"
#include "models/architecture.h"
#include "models/hybrid_plan.h"
#include "models/quantizer_options.h"

namespace hybridnet::models {

class HybridNetImpl : public torch::nn::Module {
 public:
  HybridNetImpl(Architecture arch, HybridPlan plan);
  /// Logits [B, classes] for images [B, C, H, W] (the final classifier's).
  torch::Tensor forward(torch::Tensor x);
  /// The logits of every early exit in forward order, then the final classifier's.
  std::vector<torch::Tensor> forward_exits(torch::Tensor x);

  const Architecture& architecture() const { return arch_; }
  const HybridPlan& plan() const { return plan_; }

  /// Reports every layer's input (after BN) and output to `observer` during forward; empty
  /// function = off.
  void set_observer(ActivationObserver observer) { observer_ = std::move(observer); }
  /// Separate exit training: every parameter but the exits' stops learning (no gradient), and
  /// train_exits_only() puts the backbone's batch norms in eval mode so their statistics stay.
  void freeze_backbone();
  void train_exits_only();
  /// Sets how every quantized layer quantizes and passes gradients (models/quantizer.h).
  void set_quantizer(const QuantizerOptions& options);
  /// Layer `index`'s QuantConv2d or QuantLinear, and the batch norm on its input (nullptr for
  /// the stem).
  std::shared_ptr<torch::nn::Module> layer_module(int index) const {
    return layers_.at(index).ptr();
  }
  std::shared_ptr<torch::nn::Module> norm_module(int index) const {
    return norms_.at(index).is_empty() ? nullptr : norms_.at(index).ptr();
  }
  /// Drops the shortcut connections in forward (a "plain" copy of a ResNet, for profiling).
  void set_plain(bool plain) { plain_ = plain; }

 private:
  torch::Tensor unit(int index, const torch::Tensor& x);

  Architecture arch_;
  HybridPlan plan_;
  std::vector<torch::nn::AnyModule> norms_;   // per layer index; empty for the stem
  std::vector<torch::nn::AnyModule> layers_;  // QuantConv2d or QuantLinear, per layer index
  ActivationObserver observer_;
  bool plain_ = false;
};
TORCH_MODULE(HybridNet);

/// Builds the network for a plan and a data shape (seeded by the caller via torch::manual_seed).
HybridNet build_network(const HybridPlan& plan, int in_channels, int in_h, int in_w,
                        int num_classes);

/// build_network with its weights drawn from `seed`. LibTorch's initialisers draw from the one
/// global generator, so seeding and building hold a lock: trials built at the same time in one
/// process (a parallel sweep) get the same weights as when built alone.
HybridNet build_seeded_network(const HybridPlan& plan, uint64_t seed, int in_channels, int in_h,
                               int in_w, int num_classes);

}  // namespace hybridnet::models
