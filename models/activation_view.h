// Activations as plain float views, without torch types, so that analysis/ (torch-free) can
// profile a trained network: for every weight layer, the input its quantizer sees (the BN output)
// and its output before any nonlinearity.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "models/data_options.h"

namespace hybridnet::models {

/// `samples` blocks of `channels` x `positions` floats: the NCHW layout of a conv's tensors
/// (positions = H * W) or [samples, features] for linear layers (positions = 1). Every position
/// of every sample is one row of the PCA paper's (M*H*W) x O matrix.
struct ActivationView {
  const float* data = nullptr;
  int64_t samples = 0;
  int64_t positions = 1;
  int64_t channels = 0;
  int64_t per_sample() const { return positions * channels; }
};

/// Called for every weight layer (architecture index) of every batch.
using ActivationObserver =
    std::function<void(int layer, const ActivationView& input, const ActivationView& output)>;

struct CaptureOptions {
  int64_t samples = 10000;  ///< first N training images of the run's dataset (0 = all)
  int batch_size = 256;
  bool plain = false;  ///< drop the shortcut connections (the PCA paper profiles plain ResNets)
  int threads = 0;     ///< intra-op threads (0 = all cores)
};

/// Runs a trained run directory over the training images of `data` and reports every layer's
/// activations to `observer`. models::capture_activations (the LibTorch library) is the real one;
/// analysis takes it as a parameter so that it links only the torch-free core.
using ActivationCapture =
    std::function<void(const std::string& dir, const DataOptions& data,
                       const CaptureOptions& options, const ActivationObserver& observer)>;

}  // namespace hybridnet::models
