// Weights from one network into another of the same layers wired otherwise: a warm start of a
// pca hybrid with the PCA paper's shortcut around every conv from its XNOR baseline, whose
// shortcuts span two convs, finds the same layers under other names.
#pragma once

#include "models/network.h"

namespace hybridnet::models {

/// Copies every layer's weights and the batch-norm state on its input from `from` into `into`:
/// layers are matched by role and position within the role, as with_shortcut_every matches
/// precisions. ConfigError when the layers or their shapes differ.
void copy_weights_by_role(HybridNetImpl& into, const HybridNetImpl& from);

}  // namespace hybridnet::models
