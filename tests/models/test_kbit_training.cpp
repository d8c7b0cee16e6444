// k-bit training fidelity (issue 12): batch-norm recalibration against hand-computed statistics,
// eval mode agreeing with train mode on a trained 2-bit network, and the reference ordering of
// training losses (FP-like capacity must show: 4-bit below 2-bit below binary) on real
// Fashion-MNIST.
#include <catch2/catch.hpp>
#include <filesystem>

#include "models/batch_norm_recalibration.h"
#include "models/presets.h"
#include "models/quant_layers.h"
#include "models/trainer.h"
#include "tests/support.h"

using namespace hybridnet::models;
namespace fs = std::filesystem;

namespace {

torch::nn::BatchNorm2dImpl& batch_norm(HybridNet& net, const std::string& name) {
  for (const auto& m : net->named_modules())
    if (m.key() == name) return *std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(m.value());
  FAIL("no batch norm " << name);
  throw;
}

// A 2-bit ResNet-8 trained for `epochs` on the first `images` Fashion-MNIST images.
struct Trained {
  LoadedRun run;
  DataSplits data;
};
Trained train_kbit(const std::string& preset, int64_t images, int epochs, TrainConfig t,
                   const std::string& dir_name) {
  DataOptions o;
  o.subset = images;
  o.test_subset = 1000;
  Trained r{LoadedRun{}, load_data(o)};
  t.epochs = epochs;
  t.batch_size = 64;
  t.optimizer = Optimizer::kAdam;
  t.lr = 0.002;
  t.threads = 1;
  RunSpec spec = make_run_spec(make_preset(preset, "resnet8"), o, r.data, t);
  const auto dir = hybridnet::test::fresh_temp_dir(dir_name);
  train_run(spec, r.data, dir.string());
  r.run = load_run(dir.string());
  fs::remove_all(dir);
  return r;
}

// Train mode (the batch's own statistics) against eval mode (stored statistics) on one batch:
// the share of images given the same class, and both accuracies.
struct ModeComparison {
  double agreement, eval_accuracy, train_accuracy;
};
ModeComparison compare_modes(HybridNet& net, const torch::Tensor& images,
                             const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  net->eval();
  const auto eval_pred = net->forward(images).argmax(1);
  // Train mode updates the running statistics: keep them.
  std::vector<torch::Tensor> saved;
  for (const auto& b : net->buffers()) saved.push_back(b.clone());
  net->train();
  const auto train_pred = net->forward(images).argmax(1);
  auto buffers = net->buffers();
  for (size_t i = 0; i < saved.size(); ++i) buffers[i].copy_(saved[i]);
  net->eval();
  auto share = [](const torch::Tensor& t) { return t.to(torch::kFloat64).mean().item<double>(); };
  return {share(eval_pred.eq(train_pred)), share(eval_pred.eq(labels)),
          share(train_pred.eq(labels))};
}

}  // namespace

TEST_CASE(
    "synthetic: recalibration makes every batch norm's statistics the plain average over "
    "its batches",
    "[models][kbit]") {
  torch::manual_seed(11);
  auto net = build_seeded_network(make_preset("quantized-k:k=2", "resnet8"), 3, 1, 12, 12, 10);
  const auto images = torch::randn({96, 1, 12, 12});  // synthetic: random images
  net->train();
  const int used = recalibrate_batch_norm(net, images, 32, torch::kCPU);
  CHECK(used == 3);
  // The first body unit's batch norm reads the FP stem's output: its statistics by hand.
  torch::Tensor stem_out;
  for (const auto& m : net->named_modules())
    if (m.key() == "conv1") stem_out = m.value()->as<QuantConv2dImpl>()->forward(images).detach();
  REQUIRE(stem_out.defined());
  torch::Tensor mean = torch::zeros({16}), var = torch::zeros({16});
  for (int b = 0; b < 3; ++b) {
    const auto x = stem_out.slice(0, 32 * b, 32 * (b + 1)).transpose(0, 1).reshape({16, -1});
    mean += x.mean(1) / 3;
    var += x.var(1, /*unbiased=*/true) / 3;
  }
  auto& bn = batch_norm(net, "layer1_0_conv1_bn");
  CHECK(torch::allclose(bn.running_mean, mean, 1e-5, 1e-5));
  CHECK(torch::allclose(bn.running_var, var, 1e-4, 1e-5));
  // The momentum is restored for training.
  CHECK(bn.options.momentum().value() == Approx(0.1));

  SECTION("batch norms in eval mode (a frozen backbone) keep their statistics") {
    const auto before = bn.running_mean.clone();
    net->eval();
    CHECK(recalibrate_batch_norm(net, torch::randn({64, 1, 12, 12}), 32, torch::kCPU) == 0);
    CHECK(bn.running_mean.equal(before));
  }
}

TEST_CASE("a trained 2-bit ResNet-8 computes the same classes in eval mode as in train mode",
          "[models][kbit]") {
  // Fashion-MNIST, 3000 images, 2 epochs at Adam 0.002: the regime where the running averages
  // went wrong (issue 12). On 1000 test images as one batch, eval mode (stored statistics) must
  // classify as train mode (the batch's own statistics) does. Measured: recalibrated as one
  // batch, 93.4% the same class and accuracies 0.720 vs 0.716; averaged over 20 batches, 91.3%
  // and 0.706; with the running averages (bn_recalibration 0), 81.4% and 0.642. The rest is the
  // difference between training and test images' statistics: on the test images' own, 100%.
  TrainConfig t;
  auto r = train_kbit("quantized-k:k=2", 3000, 2, t, "kbit_modes");
  const auto c = compare_modes(r.run.net, r.data.test.images, r.data.test.labels);
  INFO("agreement " << c.agreement << ", eval accuracy " << c.eval_accuracy
                    << ", train-mode accuracy " << c.train_accuracy);
  CHECK(c.agreement >= 0.88);
  CHECK(std::abs(c.eval_accuracy - c.train_accuracy) <= 0.03);

  // Statistics of the test images themselves: as one batch, each norm sees the earlier ones
  // normalise as in eval mode, so eval mode computes what train mode does on that batch;
  // averaged over batches of 100, the later norms average over the earlier norms' per-batch
  // states (batch_norm_recalibration.h).
  const auto& images = r.data.test.images;
  r.run.net->train();
  recalibrate_batch_norm(r.run.net, images, images.size(0), torch::kCPU);
  const auto one_batch = compare_modes(r.run.net, images, r.data.test.labels);
  r.run.net->train();
  recalibrate_batch_norm(r.run.net, images, 100, torch::kCPU);
  const auto averaged = compare_modes(r.run.net, images, r.data.test.labels);
  INFO("on their own statistics: one batch " << one_batch.agreement << ", averaged "
                                             << averaged.agreement);
  CHECK(one_batch.agreement >= 0.995);
  CHECK(averaged.agreement < one_batch.agreement);
}

TEST_CASE("reference check on Fashion-MNIST: 4-bit trains below 2-bit below binary",
          "[models][kbit]") {
  // ResNet-8, the first 6000 images, 3 epochs of batch 64 (282 steps), seed 0: more bits are more
  // capacity, so the final epoch's training loss must fall with the bit width. With the
  // quantizers of issue 12's report (identity k-bit input gradient, max|W| grid) 2-bit ended at
  // the binary network's loss.
  TrainConfig t;
  const auto loss = [&](const std::string& preset) {
    DataOptions o;
    o.subset = 6000;
    o.test_subset = 500;
    const auto data = load_data(o);
    t.epochs = 3;
    t.batch_size = 64;
    t.optimizer = Optimizer::kAdam;
    t.lr = 0.002;
    t.threads = 1;
    const auto dir = hybridnet::test::fresh_temp_dir("kbit_ref");
    const auto result =
        train_run(make_run_spec(make_preset(preset, "resnet8"), o, data, t), data, dir.string());
    fs::remove_all(dir);
    return result.history.back().train_loss;
  };
  const double binary = loss("xnor"), two = loss("quantized-k:k=2"), four = loss("quantized-k:k=4");
  INFO("final train loss: binary " << binary << ", 2-bit " << two << ", 4-bit " << four);
  CHECK(two < binary - 0.05);
  CHECK(four < two - 0.03);
}

TEST_CASE("the k-bit input gain sets gamma of the batch norms before k-bit quantizers only",
          "[models][kbit]") {
  // A mixed plan: XNOR with one 2-bit body conv, one 4-bit one and an intra-layer sectioned
  // 2-bit one; binary, FP and the stem keep gamma 1.
  RunSpec spec;
  spec.plan = make_preset("xnor", "resnet8");
  spec.plan.precision("layer1.0.conv2") = Precision::kbit(2);
  spec.plan.precision("layer2.0.conv1") = Precision::kbit(4);
  spec.plan.precision("layer3.0.conv1") = Precision{2, 2, 0.25};
  const auto gammas = [&](const TrainConfig& t) {
    spec.train = t;
    const HybridNet net = build_run_network(spec);
    std::map<std::string, float> g;
    for (const auto& l : net->architecture().layers)
      if (auto norm = net->norm_module(l.index)) {
        const auto w = norm->named_parameters(false)["weight"];
        CHECK(w.min().item<float>() == w.max().item<float>());
        g[l.name] = w.max().item<float>();
      }
    return g;
  };
  TrainConfig t;
  CHECK(t.kbit_input_gain == 1.0);  // the default: gamma starts at 1 everywhere
  for (const auto& [name, gamma] : gammas(t)) CHECK(gamma == 1.0f);
  t.kbit_input_gain = 1.5;
  const auto g = gammas(t);
  for (const auto& [name, gamma] : g) {
    INFO(name);
    const int bits = spec.plan.precision(name).input_bits;
    CHECK(gamma == (bits >= 2 && bits < kFullPrecisionBits ? 1.5f : 1.0f));
  }
  CHECK(g.at("layer1.0.conv2") == 1.5f);
  CHECK(g.at("layer3.0.conv1") == 1.5f);
  CHECK(g.at("layer1.0.conv1") == 1.0f);  // binary
  CHECK(g.at("fc") == 1.0f);              // FP classifier

  // A record written before the setting existed reads as gain 1, and the gain is a JSON key.
  nlohmann::json old = t;
  CHECK(old.at("kbit_input_gain") == 1.5);
  old.erase("kbit_input_gain");
  CHECK(train_config_from_record(old).kbit_input_gain == 1.0);
  TrainConfig bad;
  bad.kbit_input_gain = 0;
  CHECK_THROWS_WITH(validate(bad), Catch::Contains("--kbit-input-gain"));
}
