// Training integration: a tiny XNOR ResNet on real Fashion-MNIST learns and evaluate reproduces
// its accuracy; determinism, resume, divergence and run-directory checks use synthetic data
// (named so) for speed.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/error.h"
#include "models/presets.h"
#include "models/trainer.h"
#include "tests/support.h"

using namespace hybridnet::models;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  return hybridnet::test::fresh_temp_dir("train_" + name);
}

RunSpec spec_for(const DataSplits& d, const std::string& preset, TrainConfig t) {
  return make_run_spec(make_preset(preset, "resnet8"), DataOptions{}, d, t);
}

DataSplits synthetic(DataOptions& o) {
  o.name = "synthetic";
  o.synthetic_train = 96;
  o.synthetic_test = 48;
  o.synthetic_size = 12;
  return load_data(o);
}

TrainConfig quick(int epochs) {
  TrainConfig t;
  t.epochs = epochs;
  t.batch_size = 32;
  t.optimizer = Optimizer::kAdam;
  t.lr = 0.01;
  t.threads = 1;
  return t;
}

}  // namespace

TEST_CASE("tiny XNOR ResNet-8 on a Fashion-MNIST subset: loss goes down, evaluate reproduces",
          "[models][train]") {
  DataOptions o;
  o.subset = 1024;
  o.test_subset = 256;
  const auto data = load_data(o);
  TrainConfig t = quick(3);
  t.batch_size = 64;
  t.lr = 0.005;
  t.max_steps = 8;
  RunSpec spec = spec_for(data, "xnor", t);
  spec.data = o;
  const auto dir = fresh_dir("fmnist");
  const auto r = train_run(spec, data, dir.string());
  REQUIRE(r.history.size() == 3);
  CHECK(r.history[2].train_loss < r.history[0].train_loss);
  CHECK(r.test.top1 > 0.3);  // well above chance (0.1) after 24 steps
  const auto metrics = nlohmann::json::parse(std::ifstream(dir / "metrics.json"));
  CHECK(metrics["test_accuracy"].get<double>() == r.test.top1);
  auto loaded = load_run(dir.string());
  CHECK(loaded.epochs_done == 3);
  const auto ev = evaluate(loaded.net, load_data(loaded.spec.data).test, 256, torch::kCPU);
  CHECK(ev.top1 == r.test.top1);
  fs::remove_all(dir);
}

TEST_CASE("synthetic: the same seed gives the same result, resume equals an uninterrupted run",
          "[models][train]") {
  DataOptions o;
  const auto data = synthetic(o);
  const auto spec2 = spec_for(data, "hybrid-res-a", quick(2));
  const auto a_dir = fresh_dir("det_a"), b_dir = fresh_dir("det_b"), c_dir = fresh_dir("det_c");
  const auto a = train_run(spec2, data, a_dir.string());
  const auto b = train_run(spec2, data, b_dir.string());
  CHECK(a.history[1].train_loss == b.history[1].train_loss);
  CHECK(a.test.top1 == b.test.top1);
  // Interrupted after one epoch, then continued to two.
  auto spec1 = spec2;
  spec1.train.epochs = 1;
  train_run(spec1, data, c_dir.string());
  const auto c = train_run(spec2, data, c_dir.string());
  CHECK(c.resumed_from_epoch == 1);
  CHECK(c.history[1].train_loss == a.history[1].train_loss);
  CHECK(c.test.top1 == a.test.top1);
  CHECK_THROWS_WITH(train_run(spec1, data, c_dir.string()),
                    Catch::Contains("already holds 2 finished epochs"));
  for (const auto& d : {a_dir, b_dir, c_dir}) fs::remove_all(d);
}

TEST_CASE("synthetic: a run stopped at a rung and continued equals the full run",
          "[models][train]") {
  DataOptions o;
  const auto data = synthetic(o);
  auto cfg = quick(3);
  cfg.schedule = LrSchedule::kCosine;  // the rung must not see the schedule of a 1-epoch run
  const auto spec = spec_for(data, "xnor", cfg);
  const auto full_dir = fresh_dir("rung_full"), rung_dir = fresh_dir("rung_cont");
  const auto full = train_run(spec, data, full_dir.string());
  const auto rung = train_run(spec, data, rung_dir.string(), {}, 1);
  CHECK_FALSE(rung.complete);
  REQUIRE(rung.history.size() == 1);
  CHECK_FALSE(fs::exists(rung_dir / "metrics.json"));
  CHECK(rung.history[0].lr == full.history[0].lr);
  CHECK(rung.history[0].train_loss == full.history[0].train_loss);
  CHECK(rung.test.top1 == full.history[0].test_accuracy);
  // Asked again for the same rung: nothing more trains.
  CHECK(train_run(spec, data, rung_dir.string(), {}, 1).history.size() == 1);
  const auto promoted = train_run(spec, data, rung_dir.string(), {}, 2);
  CHECK_FALSE(promoted.complete);
  const auto last = train_run(spec, data, rung_dir.string());
  CHECK(last.complete);
  CHECK(last.resumed_from_epoch == 2);
  REQUIRE(last.history.size() == 3);
  for (int e = 0; e < 3; ++e) {
    INFO("epoch " << e + 1);
    CHECK(last.history[e].lr == full.history[e].lr);
    CHECK(last.history[e].train_loss == full.history[e].train_loss);
    CHECK(last.history[e].test_accuracy == full.history[e].test_accuracy);
  }
  CHECK(last.test.top1 == full.test.top1);
  CHECK(last.test.loss == full.test.loss);
  CHECK(fs::exists(rung_dir / "metrics.json"));
  for (const auto& d : {full_dir, rung_dir}) fs::remove_all(d);
}

TEST_CASE("synthetic: a diverging run stops with a TrainingError and keeps no metrics",
          "[models][train]") {
  DataOptions o;
  const auto data = synthetic(o);
  TrainConfig t = quick(3);
  t.optimizer = Optimizer::kSgd;
  t.lr = 1e30;
  const auto dir = fresh_dir("diverge");
  CHECK_THROWS_WITH(train_run(spec_for(data, "fp", t), data, dir.string()),
                    Catch::Contains("training diverged"));
  CHECK_FALSE(fs::exists(dir / "metrics.json"));
  fs::remove_all(dir);
}

TEST_CASE("synthetic: a run directory holding another run is refused", "[models][train]") {
  DataOptions o;
  const auto data = synthetic(o);
  const auto dir = fresh_dir("other");
  train_run(spec_for(data, "xnor", quick(1)), data, dir.string());
  CHECK_THROWS_WITH(train_run(spec_for(data, "fp", quick(1)), data, dir.string()),
                    Catch::Contains("holds a different run"));
  fs::remove_all(dir);
}

TEST_CASE("synthetic: resuming from a corrupt checkpoint is a DataError naming the bad file",
          "[models][train]") {
  DataOptions o;
  const auto data = synthetic(o);
  const auto dir = fresh_dir("corrupt");
  train_run(spec_for(data, "xnor", quick(1)), data, dir.string());
  const auto spec2 = spec_for(data, "xnor", quick(2));
  const auto corrupt = [&](const char* file) {
    std::ofstream(dir / file, std::ios::trunc) << "not a checkpoint";
  };
  SECTION("optimizer state") {
    corrupt("optimizer.pt");
    CHECK_THROWS_WITH(train_run(spec2, data, dir.string()),
                      Catch::Contains((dir / "optimizer.pt").string()) &&
                          Catch::Contains("unreadable optimizer state") &&
                          !Catch::Contains("model.pt"));
  }
  SECTION("weights") {
    corrupt("model.pt");
    CHECK_THROWS_WITH(
        train_run(spec2, data, dir.string()),
        Catch::Contains((dir / "model.pt").string()) && Catch::Contains("unreadable checkpoint"));
  }
  fs::remove_all(dir);
}

TEST_CASE("synthetic: --init-from starts a hybrid from a trained XNOR run's weights",
          "[models][train]") {
  DataOptions o;
  const auto data = synthetic(o);
  const auto base_dir = fresh_dir("init_base"), warm_dir = fresh_dir("init_warm");
  train_run(spec_for(data, "xnor", quick(1)), data, base_dir.string());
  // A 2-bit network at a learning rate too small to move: its weights stay the baseline's.
  TrainConfig t = quick(1);
  t.lr = 1e-12;
  t.seed = 5;  // another seed: fresh weights would differ
  RunSpec warm = spec_for(data, "quantized-k:k=2", t);
  warm.init_from = base_dir.string();
  train_run(warm, data, warm_dir.string());
  const auto base = load_run(base_dir.string()), tuned = load_run(warm_dir.string());
  CHECK(tuned.spec.init_from == base_dir.string());
  const auto a = base.net->named_parameters(), b = tuned.net->named_parameters();
  REQUIRE(a.size() == b.size());
  for (const auto& p : a) CHECK(torch::allclose(p.value(), b[p.key()], 1e-6, 1e-6));

  SECTION("another architecture is a DataError naming the checkpoint") {
    RunSpec other = make_run_spec(make_preset("xnor", "resnet14"), DataOptions{}, data, quick(1));
    other.init_from = base_dir.string();
    const auto dir = fresh_dir("init_other");
    CHECK_THROWS_WITH(train_run(other, data, dir.string()),
                      Catch::Contains((base_dir / "model.pt").string()) &&
                          Catch::Contains("cannot start from it"));
    fs::remove_all(dir);
  }
  for (const auto& d : {base_dir, warm_dir}) fs::remove_all(d);
}

TEST_CASE("bad training options are ConfigErrors naming the option", "[models][train]") {
  TrainConfig t;
  t.momentum = 1.5;
  CHECK_THROWS_WITH(validate(t), Catch::Contains("--momentum"));
  // Names of enum settings: an unknown one is an error listing the known ones, never the first.
  nlohmann::json j = TrainConfig{};
  j["optimizer"] = "rmsprop";
  CHECK_THROWS_WITH(j.get<TrainConfig>(),
                    Catch::Contains("optimizer must be one of sgd, adam, not 'rmsprop'"));
  j = TrainConfig{};
  j["schedule"] = "linear";
  CHECK_THROWS_WITH(j.get<TrainConfig>(), Catch::Contains("schedule must be one of cosine, step"));
  j = TrainConfig{};
  j["device"] = 3;
  CHECK_THROWS_WITH(j.get<TrainConfig>(), Catch::Contains("device must be a string (cpu, cuda)"));
  j = TrainConfig{};
  j["optimizer"] = "adam";
  j["device"] = "cuda";
  CHECK(j.get<TrainConfig>().optimizer == Optimizer::kAdam);
  CHECK(j.get<TrainConfig>().device == Device::kCuda);
  CHECK(nlohmann::json(TrainConfig{}).at("schedule") == "cosine");
  if (!torch::cuda::is_available())
    CHECK_THROWS_WITH(resolve_device(Device::kCuda), Catch::Contains("CUDA"));
}
