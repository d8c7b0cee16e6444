// Time of one training step of XNOR ResNet-20 (batch 128, 32x32x3) divided by the FP one.
// Steps are interleaved (FP, XNOR, FP, XNOR, ...) so machine noise hits both alike; the ratio of
// medians is printed. Target: at most 1.5.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "models/network.h"
#include "models/presets.h"

using namespace hybridnet::models;

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 8;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  auto x = torch::randn({128, 3, 32, 32});
  auto y = torch::randint(0, 10, {128}, torch::kInt64);
  struct Net {
    const char* name;
    HybridNet net;
    std::unique_ptr<torch::optim::SGD> opt;
    std::vector<double> times;
  };
  std::vector<Net> nets;
  for (const char* preset : {"fp", "xnor"}) {
    auto net = build_network(make_preset(preset, "resnet20"), 3, 32, 32, 10);
    auto opt = std::make_unique<torch::optim::SGD>(net->parameters(),
                                                   torch::optim::SGDOptions(0.1).momentum(0.9));
    nets.push_back({preset, net, std::move(opt), {}});
  }
  auto step = [&](Net& n) {
    const auto t0 = std::chrono::steady_clock::now();
    n.opt->zero_grad();
    auto loss = torch::nn::functional::cross_entropy(n.net->forward(x), y);
    loss.backward();
    n.opt->step();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  for (auto& n : nets) step(n), step(n);  // warm-up
  for (int i = 0; i < steps; ++i)
    for (auto& n : nets) n.times.push_back(step(n));
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double fp = median(nets[0].times), xnor = median(nets[1].times);
  std::printf("ResNet-20, batch 128, 32x32x3, %d threads, %d interleaved steps each\n", threads,
              steps);
  std::printf("FP   step: %.3f s (median)\nXNOR step: %.3f s (median)\n", fp, xnor);
  std::printf("ratio XNOR/FP: %.2f (target <= 1.5)\n", xnor / fp);
  return 0;
}
