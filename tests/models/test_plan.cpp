// HybridPlan JSON round trip, canonical hash, validation messages, and every preset on every
// architecture.
#include <torch/torch.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "models/error.h"
#include "models/network.h"
#include "models/presets.h"
#include "models/weight_transfer.h"
#include "tests/support.h"

using namespace hybridnet::models;
using nlohmann::json;

TEST_CASE("plan JSON round trip keeps the plan and its hash", "[models][plan]") {
  const auto plan = make_preset("hybrid-comp-a:k=4,kb=3", "resnet20");
  const auto back = HybridPlan::from_json(json::parse(plan.to_json().dump()), "t");
  CHECK(back == plan);
  CHECK(back.hash() == plan.hash());
  CHECK(plan.hash().size() == 16);
  // The hash is a pure function of the canonical text: recomputing gives the same value.
  CHECK(make_preset("hybrid-comp-a:k=4,kb=3", "resnet20").hash() == plan.hash());
}

TEST_CASE("listing order and omitted defaults do not change the hash", "[models][plan]") {
  json a = {{"arch", "resnet8"},
            {"layers",
             {{{"name", "layer2.0.conv1"}, {"weight_bits", 2}, {"input_bits", 2}},
              {{"name", "layer1.0.conv2"}, {"weight_bits", 4}, {"input_bits", 4}}}}};
  json b = {{"arch", "resnet8"},
            {"width", 1.0},
            {"shortcut", {{"type", "conv_quantized"}, {"every", 2}}},
            {"layers",
             {{{"name", "layer1.0.conv2"}, {"weight_bits", 4}, {"input_bits", 4}},
              {{"name", "layer2.0.conv1"}, {"weight_bits", 2}, {"input_bits", 2}},
              {{"name", "conv1"}, {"weight_bits", 32}, {"input_bits", 32}}}}};
  const auto pa = HybridPlan::from_json(a, "a"), pb = HybridPlan::from_json(b, "b");
  CHECK(pa.hash() == pb.hash());
  CHECK(pa.precision("layer1.0.conv1") == Precision::binary());
  CHECK(pa.precision("fc").is_fp());
  a["layers"][0]["weight_bits"] = 3;
  CHECK(HybridPlan::from_json(a, "a").hash() != pb.hash());
}

TEST_CASE("conv_fp sets the shortcut convs FP and canonicalises to conv", "[models][plan]") {
  auto p = HybridPlan::from_json({{"arch", "resnet20"}, {"shortcut", {{"type", "conv_fp"}}}}, "x");
  CHECK(p.precision("layer2.0.shortcut").is_fp());
  CHECK(p.to_json()["shortcut"]["type"] == "conv");
  CHECK(p == make_preset("hybrid-res-a", "resnet20"));
}

TEST_CASE("invalid plans are rejected with the field named", "[models][plan]") {
  auto err = [](json j) {
    try {
      HybridPlan::from_json(j, "p.json");
    } catch (const hybridnet::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  json base = {{"arch", "resnet20"}};
  json j = base;
  j["layers"] = {{{"name", "layer9.0.conv1"}}};
  CHECK_THAT(err(j),
             Catch::Contains("p.json: plan.layers[0].name: unknown layer 'layer9.0.conv1'"));
  j["layers"] = {{{"name", "conv1"}, {"weight_bits", 9}}};
  CHECK_THAT(err(j), Catch::Contains("plan.layers[0].weight_bits: 9 is not a valid bit width"));
  // 2^32 + 1 must not wrap to a valid 1 bit (issue 14).
  j["layers"] = {{{"name", "conv1"}, {"weight_bits", 4294967297LL}}};
  CHECK_THAT(err(j), Catch::Contains("weight_bits: 4294967297 is not a valid bit width"));
  j["layers"] = {{{"name", "conv1"}, {"input_bits", -4294967295LL}}};
  CHECK_THAT(err(j), Catch::Contains("input_bits: -4294967295 is not a valid bit width"));
  j["layers"] = {{{"name", "conv1"}, {"input_bits", 0}}};
  CHECK_THAT(err(j), Catch::Contains("plan.layers[0].input_bits: 0"));
  j["layers"] = {{{"name", "fc"}, {"fp_fraction", 1.5}}};
  CHECK_THAT(err(j), Catch::Contains("plan.layers[0].fp_fraction: 1.5"));
  j["layers"] = {{{"name", "fc"}, {"bits", 2}}};
  CHECK_THAT(err(j), Catch::Contains("plan.layers[0].bits: unknown key"));
  j["layers"] = {{{"name", "fc"}, {"weight_bits", "two"}}};
  CHECK_THAT(err(j), Catch::Contains("plan.layers[0].weight_bits"));
  j = base;
  j["widht"] = 2;
  CHECK_THAT(err(j), Catch::Contains("plan.widht: unknown key"));
  CHECK_THAT(err(json{{"width", 1}}), Catch::Contains("plan.arch: missing"));
  CHECK_THAT(err(json{{"arch", "alexnet"}}), Catch::Contains("plan.arch: unknown architecture"));
  j = base;
  j["shortcut"] = {{"type", "dense"}};
  CHECK_THAT(err(j), Catch::Contains("plan.shortcut.type"));
  j["shortcut"] = {{"every", 3}};
  CHECK_THAT(err(j), Catch::Contains("plan.shortcut.every"));
}

TEST_CASE("preset contents follow the papers", "[models][plan]") {
  auto res_a = make_preset("hybrid-res-a", "resnet20");
  for (const auto& l : res_a.layers) {
    const bool fp =
        l.name == "conv1" || l.name == "fc" || l.name.find("shortcut") != std::string::npos;
    CHECK(l.precision.is_fp() == fp);
  }
  // Hybrid-Res B: 6 FP layers and 12 binary layers (the last six body convs: all of stage 3).
  auto res_b = make_preset("hybrid-res-b", "resnet20");
  int fp_body = 0;
  for (const auto& l : res_b.layers)
    if (l.name.rfind("layer3", 0) == 0 && l.name.find("shortcut") == std::string::npos)
      CHECK(l.precision.is_fp());
  for (const auto& l : res_b.layers) fp_body += l.precision.is_fp();
  CHECK(fp_body == 6 + 2);  // + stem and classifier
  auto comp = make_preset("hybrid-comp-a:k=2,kb=4", "resnet20");
  CHECK(comp.precision("layer3.2.conv2") == Precision::kbit(4));
  CHECK(comp.precision("layer3.2.conv1") == Precision::kbit(4));
  CHECK(comp.precision("layer3.1.conv2") == Precision::binary());
  auto c = make_preset("hybrid-res-c:p=0.25", "resnet20");
  CHECK(c.precision("layer1.0.conv1").fp_fraction == 0.25);
  CHECK(c.precision("layer2.0.shortcut") == Precision::binary());
  auto q = make_preset("quantized-k:k=2", "vgg19");
  CHECK(q.precision("conv2") == Precision::kbit(2));
  CHECK(q.precision("fc2") == Precision::kbit(2));
  CHECK(q.precision("fc3").is_fp());
  auto va = make_preset("hybrid-vgg-a", "vgg19");
  std::vector<std::string> shortcuts;
  for (const auto& l : va.layers)
    if (l.name.find("shortcut") != std::string::npos) {
      shortcuts.push_back(l.name);
      CHECK(l.precision.is_fp());
    }
  CHECK(shortcuts ==
        std::vector<std::string>{"conv3.shortcut", "conv5.shortcut", "conv9.shortcut"});
  CHECK(make_preset("hybrid-vgg-a-prime", "vgg19").precision("fc2").is_fp());
  CHECK(make_preset("hybrid-vgg-c", "vgg19").precision("fc1").is_fp());
  CHECK(make_preset("inflate:width=1.5", "resnet20").width == 1.5);
  CHECK(make_preset("binary-shortcut-1", "resnet20").shortcut.every == 1);
}

TEST_CASE("rewiring a plan's shortcuts keeps each layer's bits by role and forward order",
          "[models][plan]") {
  auto plan = make_preset("xnor", "resnet20");
  plan.precision("layer1.0.conv2") = Precision::kbit(2);  // the 2nd main-path conv
  plan.precision("layer3.0.conv1") = Precision::kbit(4);  // the 13th
  plan.precision("layer3.0.shortcut") = Precision::fp();  // the 2nd shortcut conv
  const auto every1 = with_shortcut_every(plan, 1);
  CHECK(every1.shortcut.every == 1);
  CHECK(every1.layers.size() == plan.layers.size());
  CHECK(every1.precision("layer1.1.conv1") == Precision::kbit(2));
  CHECK(every1.precision("layer3.0.conv1") == Precision::kbit(4));  // 12 convs before it
  CHECK(every1.precision("layer3.0.shortcut").is_fp());
  CHECK(every1.precision("layer2.0.shortcut") == Precision::binary());
  int kbit = 0;
  for (const auto& l : every1.layers) kbit += l.precision.input_bits > 1 && l.precision.input_bits < 32;
  CHECK(kbit == 2);
  CHECK(with_shortcut_every(every1, 2) == plan);  // and back
  CHECK(with_shortcut_every(plan, 2) == plan);
  // The binary-shortcut-1 preset is the XNOR plan rewired.
  CHECK(with_shortcut_every(make_preset("xnor", "resnet20"), 1) ==
        make_preset("binary-shortcut-1", "resnet20"));
  // A VGG has no shortcuts to rewire.
  CHECK(with_shortcut_every(make_preset("xnor", "vgg11"), 1) == make_preset("xnor", "vgg11"));
}

TEST_CASE("presets: earlier spellings give the same plans as today's names", "[models][plan]") {
  CHECK(make_preset("hybrid-res-b:k=4", "resnet20") == make_preset("inter-layer:k=4", "resnet20"));
  CHECK(make_preset("hybrid-res-c:p=0.25", "resnet20") ==
        make_preset("intra-layer:p=0.25", "resnet20"));
  CHECK(make_preset("hybrid-vgg-b", "vgg11") == make_preset("intra-layer", "vgg11"));
  // The typed form is the spec string's.
  CHECK(make_preset("hybrid-comp-a", {{"k", 4}, {"kb", 3}}, "resnet20") ==
        make_preset("hybrid-comp-a:k=4,kb=3", "resnet20"));
  // The intra-layer plan: a fraction p of every body conv FP.
  const auto plan = make_preset("intra-layer:p=0.25", "resnet20");
  CHECK(plan.precision("layer1.0.conv1").fp_fraction == 0.25);
  CHECK_THROWS_WITH(make_preset("inter-layer", {{"q", 1}}, "resnet20"),
                    Catch::Contains("preset inter-layer: unknown parameter q"));
}

TEST_CASE("preset errors name the preset and the problem", "[models][plan]") {
  CHECK_THROWS_WITH(make_preset("hybrid-res-a", "vgg16"),
                    Catch::Contains("does not apply to vgg16"));
  CHECK_THROWS_WITH(make_preset("inter-layer", "vgg16"),
                    Catch::Contains("preset inter-layer does not apply to vgg16"));
  CHECK_THROWS_WITH(make_preset("hybrid-vgg-c", "resnet20"), Catch::Contains("does not apply"));
  CHECK_THROWS_WITH(make_preset("nope", "resnet20"), Catch::Contains("unknown preset 'nope'"));
  CHECK_THROWS_WITH(make_preset("hybrid-comp-a:kb=9", "resnet20"), Catch::Contains("kb=9"));
  CHECK_THROWS_WITH(make_preset("hybrid-comp-a:q=1", "resnet20"),
                    Catch::Contains("unknown parameter q"));
  CHECK_THROWS_WITH(make_preset("hybrid-res-b:k=40", "resnet20"), Catch::Contains("exceeds"));
  CHECK_THROWS_WITH(make_preset("xnor:width", "resnet20"), Catch::Contains("key=value"));
}

TEST_CASE("every preset resolves on every architecture or says why not", "[models][plan]") {
  const auto arch = GENERATE(from_range(known_architectures()));
  int applied = 0;
  for (const auto& p : presets()) {
    try {
      const auto plan = make_preset(p.name, arch);
      CHECK(plan.arch == arch);
      CHECK(HybridPlan::from_json(plan.to_json(), "") == plan);
      ++applied;
    } catch (const hybridnet::ConfigError& e) {
      CHECK_THAT(e.what(), Catch::Contains("does not apply"));
    }
  }
  // VGG: all but the 3 ResNet-only (hybrid-res-a, binary-shortcut-1, inter-layer); ResNet: all
  // but the 3 VGG-only.
  CHECK(applied == static_cast<int>(presets().size()) - 3);
}

TEST_CASE("every applicable preset builds a network that runs forward and backward",
          "[models][plan]") {
  const auto arch = GENERATE(as<std::string>{}, "resnet8", "vgg11");
  for (const auto& p : presets()) {
    HybridPlan plan;
    try {
      plan = make_preset(p.name, arch);
    } catch (const hybridnet::ConfigError&) {
      continue;
    }
    INFO(p.name << " on " << arch);
    torch::manual_seed(0);
    auto net = build_network(plan, 1, 28, 28, 10);
    auto out = net->forward(torch::randn({2, 1, 28, 28}));
    CHECK(out.sizes() == torch::IntArrayRef({2, 10}));
    out.sum().backward();
    CHECK(torch::isfinite(out).all().item<bool>());
  }
}

TEST_CASE("a warm start across shortcut wirings copies each layer's weights by role and order",
          "[models][plan]") {
  const auto baseline_plan = make_preset("xnor", "resnet8");
  auto hybrid_plan = with_shortcut_every(baseline_plan, 1);
  hybrid_plan.precision("layer2.0.conv1") = Precision::kbit(2);
  auto baseline = build_seeded_network(baseline_plan, 1, 1, 28, 28, 10);
  // Batch-norm state as training leaves it: running statistics away from their initial values.
  baseline->train();
  {
    torch::NoGradGuard no_grad;
    baseline->forward(torch::randn({8, 1, 28, 28}));
  }
  auto hybrid = build_seeded_network(hybrid_plan, 2, 1, 28, 28, 10);
  copy_weights_by_role(*hybrid, *baseline);
  // Main-path conv 3 is layer2.0.conv1 in both wirings; conv 4 is layer2.0.conv2 and
  // layer2.1.conv1; the shortcut conv keeps its name.
  const std::vector<std::pair<std::string, std::string>> same = {
      {"conv1", "conv1"}, {"layer1.0.conv2", "layer1.1.conv1"},
      {"layer2.0.conv2", "layer2.1.conv1"}, {"layer2.0.shortcut", "layer2.0.shortcut"},
      {"layer3.0.conv2", "layer3.1.conv1"}, {"fc", "fc"}};
  const auto& from = baseline->architecture();
  const auto& into = hybrid->architecture();
  for (const auto& [a, b] : same) {
    INFO(a << " -> " << b);
    const int i = from.find(a), j = into.find(b);
    const auto wa = baseline->layer_module(i)->named_parameters()["weight"];
    const auto wb = hybrid->layer_module(j)->named_parameters()["weight"];
    CHECK(torch::equal(wa, wb));
    if (a != "conv1") {
      CHECK(torch::equal(baseline->norm_module(i)->named_buffers()["running_mean"],
                         hybrid->norm_module(j)->named_buffers()["running_mean"]));
      CHECK(torch::equal(baseline->norm_module(i)->named_parameters()["weight"],
                         hybrid->norm_module(j)->named_parameters()["weight"]));
    }
  }
  // Another depth has other layers: refused, naming the role.
  auto deeper = build_seeded_network(make_preset("xnor", "resnet14"), 1, 1, 28, 28, 10);
  CHECK_THROWS_WITH(copy_weights_by_role(*hybrid, *deeper), Catch::Contains("body layers"));
}

TEST_CASE("seeded networks built in parallel threads get the weights of a lone build",
          "[models][plan]") {
  const auto plan = make_preset("fp", "resnet8");
  auto weights = [&](uint64_t seed) {
    auto net = build_seeded_network(plan, seed, 1, 28, 28, 10);
    std::vector<torch::Tensor> w;
    for (const auto& p : net->parameters()) w.push_back(p.detach().clone());
    return w;
  };
  const auto alone1 = weights(1), alone2 = weights(2);
  REQUIRE_FALSE(torch::equal(alone1[0], alone2[0]));
  // Two threads building at once, as two sweep trials do; unguarded, their draws from the
  // global generator interleave.
  std::atomic<int> mismatches{0};
  auto builder = [&](uint64_t seed, const std::vector<torch::Tensor>& expected) {
    for (int i = 0; i < 15; ++i) {
      const auto w = weights(seed);
      for (size_t k = 0; k < w.size(); ++k)
        if (!torch::equal(w[k], expected[k])) ++mismatches;
    }
  };
  std::thread a(builder, 1, std::cref(alone1)), b(builder, 2, std::cref(alone2));
  a.join();
  b.join();
  CHECK(mismatches == 0);
}

TEST_CASE("plan argument: a directory named like a preset does not hide the preset", "[models][plan]") {
  namespace fs = std::filesystem;
  const fs::path dir = hybridnet::test::fresh_temp_dir("plan_argument_dir");
  const fs::path before = fs::current_path();
  fs::current_path(dir);
  fs::create_directories("xnor");  // e.g. a run directory called xnor
  HybridPlan plan;
  std::string error;
  try {
    plan = resolve_plan_argument("xnor", "resnet8");
  } catch (const std::exception& e) {
    error = e.what();
  }
  fs::current_path(before);
  REQUIRE(error.empty());
  CHECK(plan == make_preset("xnor", "resnet8"));
}
