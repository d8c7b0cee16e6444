// Batch-norm recalibration and freezing: recompute the running statistics of a network's batch
// norms with its current weights from a sample of training images; and train the final epochs on
// those statistics.
//
// Why (issue 12): running statistics are an exponential average over the last ~10 steps
// (momentum 0.1) of a network whose quantized weights jump between levels from step to step, so
// they describe a mix of recent networks rather than the final one. A binary layer only reads the
// sign of its batch-normed input and barely notices; a k-bit layer reads the magnitude too, and a
// variance off by 20% moves every quantization threshold. Measured on the quick start (ResNet-8,
// 2-bit): test accuracy 0.516 with running averages vs 0.625 recalibrated after epoch 1, and the
// PyTorch reference showed the same (0.661 vs 0.750 after epoch 2).
//
// Why the trainer passes the whole sample as one batch: a norm's input depends on the norms
// before it, which in train mode normalise each batch by that batch's own statistics. Fashion-
// MNIST's constant background is a point mass in the stem's output; when a batch's statistics
// move it across a quantizer threshold, every background pixel of the batch changes level, and
// the norms after it average over batches with and without the flip: a mixture that matches
// neither state eval mode can be in. In one batch, every norm normalises with exactly the
// statistics it stores, so the later norms see what they will see in eval mode. Measured (quick
// start, pca kb 2, seed 2, 2560 training images): averaged over 20 batches of 128, eval accuracy
// 0.704, against 0.782 for train mode; as one batch, 0.776, the same as making each norm exact in
// forward order with eval-mode passes (8 passes); the other seeds moved by at most 0.4 points.
#pragma once

#include <torch/torch.h>

#include "models/network.h"

namespace hybridnet::models {

/// Resets every batch norm of `net` that is in training mode and recomputes its statistics as
/// the plain average over `images` in batches of `batch_size` (no gradients, weights untouched);
/// with one batch, they are the sample's mean and unbiased variance as eval mode will see them.
/// Batch norms in eval mode (a frozen backbone) keep theirs. Batches of one image are skipped
/// (batch statistics need two). Returns the number of batches used.
int recalibrate_batch_norm(HybridNet& net, const torch::Tensor& images, int64_t batch_size,
                           torch::Device device);

/// Puts every batch norm of `net` in eval mode (stored statistics, not updated) and leaves the
/// rest as it is: training then fits the weights, gamma and beta to the statistics that
/// evaluation uses. Off by default (TrainConfig::bn_freeze_epochs): freezing the last epoch at the
/// schedule's learning rate cost the quick start's FP and XNOR networks 1-2 points. It was the
/// first repair of the eval-mode gap that one-batch recalibration (above) now closes.
void freeze_batch_norm(HybridNet& net);

}  // namespace hybridnet::models
