// Batch-norm recalibration and freezing: recompute the running statistics of a network's batch
// norms with its current weights, as a cumulative average over a number of training batches; and
// train the final epochs on those statistics.
//
// Why (issue 12): running statistics are an exponential average over the last ~10 steps
// (momentum 0.1) of a network whose quantized weights jump between levels from step to step, so
// they describe a mix of recent networks rather than the final one. A binary layer only reads the
// sign of its batch-normed input and barely notices; a k-bit layer reads the magnitude too, and a
// variance off by 20% moves every quantization threshold. Measured on the quick start (ResNet-8,
// 2-bit): test accuracy 0.516 with running averages vs 0.625 recalibrated after epoch 1, and the
// PyTorch reference showed the same (0.661 vs 0.750 after epoch 2). Recalibrating before every
// evaluation makes eval mode compute what train mode does on a large batch.
#pragma once

#include <torch/torch.h>

#include "models/network.h"

namespace hybridnet::models {

/// Resets every batch norm of `net` that is in training mode and recomputes its statistics as
/// the plain average over `images` in batches of `batch_size` (no gradients, weights untouched).
/// Batch norms in eval mode (a frozen backbone) keep theirs. Batches of one image are skipped
/// (batch statistics need two). Returns the number of batches used.
int recalibrate_batch_norm(HybridNet& net, const torch::Tensor& images, int64_t batch_size,
                           torch::Device device);

/// Puts every batch norm of `net` in eval mode (stored statistics, not updated) and leaves the
/// rest as it is: training then fits the weights, gamma and beta to the statistics that
/// evaluation uses. Why: recalibrated statistics still cost a 2-bit hybrid 7-10 points against
/// train mode on the same images (quick start, pca kb 2, seed 2: eval 0.704 vs train-mode 0.792);
/// one epoch with frozen statistics at a tenth of the learning rate brought eval to 0.798.
void freeze_batch_norm(HybridNet& net);

}  // namespace hybridnet::models
