// Activation capture: runs a trained network (LibTorch) and reports its layers' activations as
// the plain float views of models/activation_view.h.
#pragma once

#include <string>

#include "models/activation_view.h"
#include "models/data_options.h"

namespace hybridnet::models {

/// Runs the trained network in run directory `dir` (eval mode, no gradients) over the training
/// images of `data` and reports every layer's activations to `observer` (an ActivationCapture).
void capture_activations(const std::string& dir, const DataOptions& data,
                         const CaptureOptions& options, const ActivationObserver& observer);

}  // namespace hybridnet::models
