// One pass of a network with early exits over a dataset, keeping every exit's logits, so that
// any number of exit thresholds can be scored afterwards (ExitCurve) without re-running it.
#pragma once

#include "models/dataset.h"
#include "models/early_exit.h"
#include "models/network.h"

namespace hybridnet::models {

ExitLogits collect_exit_logits(HybridNet& net, const Dataset& data, int batch_size,
                               torch::Device device);

}  // namespace hybridnet::models
