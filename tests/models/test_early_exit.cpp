// Conditionally deep hybrid networks (edge-cloud paper): exits in the architecture, edge-cloud
// plans, entropy and Algorithm 1's exit decisions on cached logits, edge/cloud energy.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "models/cost_model.h"
#include "models/early_exit.h"
#include "models/energy_table.h"
#include "models/error.h"
#include "models/exit_cost.h"
#include "models/network.h"

using namespace hybridnet::models;
using nlohmann::json;

namespace {

HybridPlan edge_plan(int edge_layers, int bits, json exits = nullptr) {
  json ec = {{"edge_layers", edge_layers}, {"edge_bits", bits}};
  if (!exits.is_null()) ec["exits"] = exits;
  return HybridPlan::from_json({{"arch", "resnet20"}, {"edge_cloud", ec}}, "t");
}

// Logits of `outputs` heads for samples whose early-exit entropies are set by a temperature.
ExitLogits random_logits(int outputs, int64_t samples, int classes, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> z(0.f, 1.f);
  std::uniform_real_distribution<float> scale(0.1f, 6.f);
  std::uniform_int_distribution<int> label(0, classes - 1);
  ExitLogits l;
  l.samples = samples;
  l.outputs = outputs;
  l.classes = classes;
  for (int k = 0; k < outputs; ++k)
    for (int64_t i = 0; i < samples; ++i) {
      const float s = scale(rng);
      for (int c = 0; c < classes; ++c) l.logits.push_back(s * z(rng));
    }
  for (int64_t i = 0; i < samples; ++i) l.labels.push_back(label(rng));
  return l;
}

}  // namespace

TEST_CASE("softmax entropy of hand-made logits", "[models][exit]") {
  const float uniform[4] = {0.f, 0.f, 0.f, 0.f};
  CHECK(softmax_entropy(uniform, 4) == Approx(std::log(4.0)).epsilon(1e-12));
  // p = (1/4, 3/4): H = -(1/4 ln 1/4 + 3/4 ln 3/4) = 0.5623351446...
  const float quarter[2] = {0.f, static_cast<float>(std::log(3.0))};
  CHECK(softmax_entropy(quarter, 2) == Approx(0.5623351446188083).epsilon(1e-6));
  // Shifting logits changes nothing; a confident output has almost no entropy.
  const float shifted[2] = {100.f, 100.f + static_cast<float>(std::log(3.0))};
  CHECK(softmax_entropy(shifted, 2) == Approx(0.5623351446188083).epsilon(1e-5));
  const float confident[3] = {50.f, 0.f, 0.f};
  CHECK(softmax_entropy(confident, 3) < 1e-12);
  CHECK(softmax_entropy(confident, 3) >= 0.0);
}

TEST_CASE("a sample exits only when its entropy is strictly below the threshold",
          "[models][exit]") {
  // Sample 0: early exit uniform over 2 classes (entropy exactly ln 2), wrong at the cloud.
  // Sample 1: early exit confident and right.
  ExitLogits l;
  l.samples = 2;
  l.outputs = 2;
  l.classes = 2;
  l.logits = {0.f, 0.f, /**/ 9.f, 0.f,     // early exit
              5.f, 0.f, /**/ 0.f, 5.f};    // cloud
  l.labels = {1, 0};
  const ExitCurve curve(l);
  const double ln2 = std::log(2.0);
  CHECK(curve.decide(0, {ln2}) == 1);  // equal: not below, goes on to the cloud
  CHECK(curve.decide(0, {std::nextafter(ln2, 10.0)}) == 0);
  CHECK(curve.decide(1, {0.01}) == 0);
  CHECK(curve.decide(1, {0.0}) == 1);  // threshold 0: nothing exits

  const ExitPoint none = curve.at({0.0});
  CHECK(none.exit_share == std::vector<double>{0.0});
  CHECK(none.cloud_share == 1.0);
  CHECK(none.accuracy == 0.0);  // the cloud gets both wrong (sample 1: predicts 1, label 0)
  const ExitPoint both = curve.at({1.0});
  CHECK(both.exit_share == std::vector<double>{1.0});
  CHECK(both.exit_accuracy[0] == 0.5);  // sample 0 at the tie: argmax is class 0, label 1
  CHECK(both.accuracy == 0.5);
  CHECK_THROWS_AS(curve.at({0.1, 0.2}), hybridnet::ConfigError);
}

TEST_CASE("exit shares never decrease as a threshold grows (synthetic logits)",
          "[models][exit]") {
  for (int outputs : {2, 3}) {
    const ExitCurve curve(random_logits(outputs, 400, 10, 7 + outputs));
    double last_edge = -1;
    std::vector<double> last_first(1, -1);
    for (double t = 0.0; t <= 2.5; t += 0.05) {
      const ExitPoint p = curve.at(std::vector<double>(outputs - 1, t));
      double edge = 0;
      for (double s : p.exit_share) edge += s;
      CHECK(edge + p.cloud_share == Approx(1.0));
      CHECK(edge >= last_edge);
      CHECK(p.exit_share[0] >= last_first[0]);  // the first exit sees every sample
      last_edge = edge;
      last_first[0] = p.exit_share[0];
    }
    CHECK(last_edge == 1.0);  // above ln 10 every sample leaves early
  }
}

TEST_CASE("exits sit at block ends, after the backbone's layers", "[models][exit][arch]") {
  ArchConfig c;
  c.name = "resnet20";
  c.in_channels = 1;
  c.in_h = c.in_w = 28;
  const Architecture plain = describe_architecture(c);
  c.exits = {6, 10};
  const Architecture a = describe_architecture(c);
  REQUIRE(a.exits.size() == 2);
  REQUIRE(a.layers.size() == plain.layers.size() + 2);
  for (size_t i = 0; i < plain.layers.size(); ++i) CHECK(a.layers[i].name == plain.layers[i].name);
  const LayerSpec& e1 = a.layers[a.exits[0].layer];
  CHECK(e1.name == "exit1");
  CHECK(e1.role == LayerRole::kExit);
  CHECK(e1.in_channels == 16);  // end of stage 1 (3 blocks of 2 convs)
  CHECK(e1.out_channels == 10);
  CHECK(a.layers[a.exits[1].layer].in_channels == 32);  // 10 convs: inside stage 2
  CHECK(a.exits[1].after_block == 4);

  c.exits = {7};
  CHECK_THROWS_WITH(describe_architecture(c),
                    Catch::Contains("exit after 7 body layers: not at the end of a block") &&
                        Catch::Contains("possible: 2, 4, 6, 8, 10, 12, 14, 16"));
  c.exits = {18};
  CHECK_THROWS_WITH(describe_architecture(c), Catch::Contains("not an early exit"));
  c.exits = {10, 6};
  CHECK_THROWS_WITH(describe_architecture(c), Catch::Contains("ascending"));
}

TEST_CASE("edge-cloud plans: p1-bit edge, FP stem, shortcuts, cloud and exits",
          "[models][exit][plan]") {
  const HybridPlan p = edge_plan(10, 2);
  CHECK(p.edge_layers == 10);
  CHECK(p.exits == std::vector<int>{10});  // one exit at the end of the edge by default
  CHECK(p.precision("conv1").is_fp());
  CHECK(p.precision("layer1.0.conv1") == Precision::kbit(2));
  CHECK(p.precision("layer2.1.conv2") == Precision::kbit(2));  // the 10th body conv
  CHECK(p.precision("layer2.0.shortcut").is_fp());             // FP residual on the edge
  CHECK(p.precision("layer2.2.conv1").is_fp());                // cloud
  CHECK(p.precision("layer3.0.shortcut").is_fp());
  CHECK(p.precision("fc").is_fp());
  CHECK(p.precision("exit1").is_fp());
  const HybridPlan back = HybridPlan::from_json(p.to_json(), "t");
  CHECK(back == p);
  CHECK(back.edge_layers == 10);
  CHECK(back.exits == p.exits);
  CHECK(edge_plan(10, 1).hash() != p.hash());
  CHECK(edge_plan(10, 2, json::array({4, 10})).hash() != p.hash());
  // Plans without exits keep their canonical JSON (and so their hashes) unchanged.
  CHECK_FALSE(xnor_plan("resnet20", 1.0, default_shortcut("resnet20")).to_json().contains(
      "edge_cloud"));

  CHECK_THROWS_WITH(edge_plan(7, 1), Catch::Contains("t: plan.edge_cloud.edge_layers: 7 does "
                                                     "not end a block of resnet20"));
  CHECK_THROWS_WITH(edge_plan(10, 1, json::array({12})),
                    Catch::Contains("plan.edge_cloud.exits[0]: 12 is past the edge part"));
  CHECK_THROWS_WITH(edge_plan(10, 32), Catch::Contains("edge_bits"));
}

TEST_CASE("a network with exits returns every exit's logits", "[models][exit][plan]") {
  const HybridPlan p = edge_plan(10, 1, json::array({6, 10}));
  auto net = build_seeded_network(p, 0, 1, 28, 28, 10);
  net->eval();
  const auto x = torch::randn({3, 1, 28, 28});
  const auto outs = net->forward_exits(x);
  REQUIRE(outs.size() == 3);
  for (const auto& o : outs) CHECK(o.sizes() == torch::IntArrayRef({3, 10}));
  CHECK(torch::equal(net->forward(x), outs.back()));
}

TEST_CASE("edge and cloud energy, with no exit taken it is the whole network's",
          "[models][exit][cost]") {
  const auto table = load_energy_table("cdl");
  const HybridPlan p = edge_plan(10, 1);
  const Architecture a = describe_architecture(p.arch_config(1, 28, 28, 10));
  const CostReport cost = network_cost(a, p, table);
  const ExitCosts c = exit_costs(a, p, cost);
  REQUIRE(c.to_exit_pj.size() == 1);
  // Independent sums over layer names: the stem, stages 1 and the first two blocks of stage 2,
  // and the exit are the edge.
  double edge = 0, cloud = 0;
  for (const auto& l : cost.layers) {
    const bool on_edge = l.name == "conv1" || l.name.rfind("layer1.", 0) == 0 ||
                         l.name.rfind("layer2.0.", 0) == 0 || l.name.rfind("layer2.1.", 0) == 0 ||
                         l.name == "exit1";
    (on_edge ? edge : cloud) += l.energy_pj;
  }
  CHECK(c.edge_pj == Approx(edge).epsilon(1e-12));
  CHECK(c.cloud_pj == Approx(cloud).epsilon(1e-9));
  CHECK(c.to_exit_pj[0] == Approx(edge).epsilon(1e-12));  // the one exit ends the edge
  CHECK(c.transfer_values == 32 * 14 * 14);

  const InferenceEnergy none = inference_energy(c, {0.0});
  CHECK(none.mean_pj() == Approx(cost.total.energy_pj).epsilon(1e-12));
  CHECK(none.cloud_pj == Approx(cloud));
  const InferenceEnergy all = inference_energy(c, {1.0});
  CHECK(all.cloud_pj == 0.0);
  CHECK(all.mean_pj() == Approx(edge));
  const InferenceEnergy half = inference_energy(c, {0.5}, 1.0);
  CHECK(half.mean_pj() == Approx(edge + 0.5 * cloud + 0.5 * 32 * 14 * 14 * 32.0));
  CHECK_THROWS_AS(inference_energy(c, {0.5, 0.1}), hybridnet::ConfigError);

  // The paper's Table III trend: a binary 10E edge costs far less than the FP 10C cloud
  // (CIFAR-10 ResNet-32 10E + 20C: 261 vs 2269 mJ).
  INFO("edge " << c.edge_pj << " pJ, cloud " << c.cloud_pj << " pJ");
  CHECK(c.cloud_pj > 3 * c.edge_pj);
}

TEST_CASE("exits of a network without a split: one device, no cloud", "[models][exit][cost]") {
  const HybridPlan p = HybridPlan::from_json(
      {{"arch", "resnet8"}, {"edge_cloud", {{"exits", {2}}}}}, "t");
  CHECK(p.edge_layers == 0);
  CHECK(p.precision("layer1.0.conv1") == Precision::binary());  // XNOR defaults stay
  const auto table = load_energy_table("cdl");
  const Architecture a = describe_architecture(p.arch_config(1, 28, 28, 10));
  const CostReport cost = network_cost(a, p, table);
  const ExitCosts c = exit_costs(a, p, cost);
  CHECK(c.cloud_pj == 0.0);
  CHECK(c.edge_pj == Approx(cost.total.energy_pj));
  CHECK(c.to_exit_pj[0] < c.edge_pj);
}
