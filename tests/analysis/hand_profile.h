// A hand-made profile of XNOR ResNet-8 (stem + 6 body convs) shared by the selector and per-layer
// tests: k = [4, 6, 6, 12, 13, 20, 22] (delta k of the body layers [2, 0, 6, 1, 7, 2]); metric
// of the body layers [0.10, 0.12, 0.90, 0.50, 0.95, 0.11]; the body layers are eligible.
#pragma once

#include <string>
#include <vector>

#include "analysis/profile.h"
#include "models/presets.h"

namespace hybridnet::test {

inline analysis::Profile hand_profile() {
  analysis::Profile p;
  p.plan = models::make_preset("xnor", "resnet8");
  p.arch = "resnet8";
  const std::vector<std::string> names = {"conv1",          "layer1.0.conv1", "layer1.0.conv2",
                                          "layer2.0.conv1", "layer2.0.conv2", "layer3.0.conv1",
                                          "layer3.0.conv2"};
  const std::vector<int> k = {4, 6, 6, 12, 13, 20, 22};
  const std::vector<double> metric = {0.0, 0.10, 0.12, 0.90, 0.50, 0.95, 0.11};
  for (size_t i = 0; i < names.size(); ++i) {
    analysis::LayerProfile l;
    l.position = static_cast<int>(i + 1);
    l.name = names[i];
    l.k = k[i];
    l.delta_k = i ? k[i] - k[i - 1] : 0;
    l.metric = metric[i];
    l.eligible = i > 0;
    p.layers.push_back(l);
  }
  return p;
}

}  // namespace hybridnet::test
