// Search spaces: enumeration of candidates, deduplication of identical networks, analysis
// families from a hand-made profile, and validation errors that name the file and JSON path.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <tuple>

#include "analysis/profile.h"
#include "models/error.h"
#include "search/candidates.h"
#include "search/family_registry.h"
#include "models/hybrid_plan.h"
#include "models/presets.h"
#include "search/space.h"
#include "tests/support.h"

using namespace hybridnet;
using namespace hybridnet::search;
using nlohmann::json;

namespace {

json base_space() {
  return json::parse(R"({
    "study": "t", "arch": "resnet8", "data": {"name": "synthetic"},
    "train": {"epochs": 1, "optimizer": "adam"},
    "families": {"fp": {}, "xnor": {}}
  })");
}

std::string error_of(const json& j) {
  try {
    parse_space(j, "space.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("space: grids expand to the cartesian product over archs, widths and seeds",
          "[search]") {
  json j = base_space();
  j["arch"] = {"resnet8", "resnet14"};
  j["seeds"] = {0, 1};
  j["families"]["quantized-k"] = {{"k", {2, 4}}};
  j["families"]["hybrid-comp-a"] = {{"k", {1, 2}}, {"kb", {2, 3}}};
  const auto s = parse_space(j, "space.json");
  REQUIRE(s.train.lr == Approx(1e-3));  // adam's default when no lr is given
  // per (arch, seed): fp + xnor + 2 quantized-k + 4 hybrid-comp-a = 8
  const auto c = plain_candidates(s);
  REQUIRE(c.size() == 2 * 2 * 8);
  const auto d = deduplicate(c);
  REQUIRE(d.candidates.size() == c.size());  // all distinct: arch or seed or plan differ
  std::set<std::string> keys;
  for (const auto& x : c) keys.insert(x.key());
  REQUIRE(keys.size() == c.size());
}

TEST_CASE("space: a grid of more than 10000 candidates is refused before it is expanded",
          "[search]") {
  json j = base_space();
  j["families"]["quantized-k"] = {{"k", {2, 3, 4, 5, 6, 7, 8}}};
  j["families"]["hybrid-comp-a"] = {{"k", {1, 2, 3}}, {"kb", {2, 3, 4, 5, 6}}};
  j["seeds"] = json::array();
  for (int i = 0; i < 500; ++i) j["seeds"].push_back(i);
  // (fp + xnor + 7 + 15) x 500 seeds = 12000
  CHECK(error_of(j) ==
        "space.json: the grid has 12000 candidates (settings x archs x widths x seeds); at most "
        "10000: split it into several spaces");
  j["seeds"] = json::array();  // 24 x 400 = 9600: fine
  for (int i = 0; i < 400; ++i) j["seeds"].push_back(i);
  CHECK(error_of(j) == "(no error)");
}

TEST_CASE("space: settings that build the same network are one candidate", "[search]") {
  json j = base_space();
  // inter-layer with k = 0 FP layers is the XNOR network; a repeated grid value is one setting
  // of one network; hybrid-comp-a with k = 0 is also XNOR.
  j["families"]["inter-layer"] = {{"k", {0, 2}}};
  j["families"]["hybrid-comp-a"] = {{"k", 0}, {"kb", {2, 3}}};
  j["families"]["quantized-k"] = {{"k", {2, 2}}};
  const auto s = parse_space(j, "space.json");
  const auto c = plain_candidates(s);
  REQUIRE(c.size() == 2 + 2 + 2 + 2);
  const auto d = deduplicate(c);
  // fp, xnor (= inter-layer k=0 = hybrid-comp-a k=0 kb=2 and kb=3), inter-layer k=2, quantized-k 2
  REQUIRE(d.candidates.size() == 4);
  const std::string xnor_key = baseline_candidate(s, "resnet8", 1.0, 0).key();
  size_t xnor = d.candidates.size();
  for (size_t i = 0; i < d.candidates.size(); ++i)
    if (d.candidates[i].key() == xnor_key) xnor = i;
  REQUIRE(xnor < d.candidates.size());
  std::multiset<std::string> families;
  for (const auto& setting : d.settings[xnor]) families.insert(setting.family);
  REQUIRE(families == std::multiset<std::string>{"hybrid-comp-a", "hybrid-comp-a",
                                                 "inter-layer", "xnor"});
  // Training settings are part of the identity: another lr is another trial.
  auto a = d.candidates[0], b = a;
  b.config.train.lr *= 2;
  REQUIRE(a.key() != b.key());
  b = a;
  b.config.train.threads = 7;  // how many cores train it does not change the trial
  REQUIRE(a.key() == b.key());
}

TEST_CASE("space: edge-cloud settings train once per network, thresholds only score it",
          "[search][exit]") {
  json j = base_space();
  j["families"] = {{"edge-cloud",
                    {{"bits", {1, 2}}, {"mode", {"joint", "separate"}}, {"thresholds", {0.5, 1.0}}}}};
  const auto s = parse_space(j, "space.json");
  const auto c = plain_candidates(s);
  REQUIRE(c.size() == 4);  // bits x mode; the thresholds array is one value, not a grid
  const auto d = deduplicate(c);
  REQUIRE(d.candidates.size() == 4);
  for (const auto& x : c) {
    REQUIRE(x.plan.edge_layers == 4);  // resnet8 "auto": the first block end at or past half
    REQUIRE(x.plan.exits == std::vector<int>{4});
    REQUIRE(family_named(x.family).thresholds(x.params) == std::vector<double>{0.5, 1.0});
    REQUIRE(json(x.config).at("exit_training") == json(*x.config.exit_training));
  }
  REQUIRE(c[0].config.exit_training->mode == models::ExitMode::kJoint);
  REQUIRE(c[0].config.exit_training->lambdas == std::vector<double>{0.6});
  REQUIRE(c[1].config.exit_training->mode == models::ExitMode::kSeparate);

  // Another threshold grid (a later space) is the same network: the same trial, scored again.
  json k = j;
  k["families"]["edge-cloud"]["thresholds"] = "0.1:0.3:0.1";
  const auto c2 = plain_candidates(parse_space(k, "space.json"));
  REQUIRE(c2[0].key() == c[0].key());
  REQUIRE(family_named(c2[0].family).thresholds(c2[0].params) == std::vector<double>{0.1, 0.2, 0.3});
  // The exits' training is part of the identity: another lambda is another trial.
  k["families"]["edge-cloud"]["lambda"] = 0.3;
  REQUIRE(plain_candidates(parse_space(k, "space.json"))[0].key() != c[0].key());
  // Two exits on a 4-layer edge share lambda: 0.3 each, the final classifier 0.4.
  k = base_space();
  k["families"] = {{"edge-cloud", {{"exits", 2}}}};
  const auto two = plain_candidates(parse_space(k, "space.json"));
  REQUIRE(two[0].plan.exits == std::vector<int>{2, 4});
  REQUIRE(two[0].config.exit_training->lambdas == std::vector<double>{0.3, 0.3});
  // Positions instead of a count: the inner array (the outer one is the grid).
  k["families"]["edge-cloud"] = {{"exits", {json{2, 4}, 1}}};
  const auto placed = plain_candidates(parse_space(k, "space.json"));
  REQUIRE(placed.size() == 2);
  REQUIRE(placed[0].plan.exits == std::vector<int>{2, 4});
  REQUIRE(placed[0].key() == two[0].key());  // the same network as exits=2 on this edge
  REQUIRE(placed[1].plan.exits == std::vector<int>{4});
  // Families without exits keep their identity (no exit_training in it or in the config).
  REQUIRE(json(baseline_candidate(s, "resnet8", 1.0, 0).config).count("exit_training") == 0);
}

TEST_CASE("space: edge-cloud validation errors name the setting and the value", "[search][exit]") {
  const auto with = [](json params) {
    json j = base_space();
    j["families"]["edge-cloud"] = std::move(params);
    return error_of(j);
  };
  REQUIRE_THAT(with({{"mode", "both"}}),
               Catch::Contains("space.json: families.edge-cloud") &&
                   Catch::Contains("edge-cloud: mode must be one of joint, separate, not 'both'"));
  REQUIRE_THAT(with({{"lambda", 1.5}}), Catch::Contains("edge-cloud: lambda = 1.5 must be in (0, 1]"));
  REQUIRE_THAT(with({{"lambda", 1}}), Catch::Contains("lambda = 1 leaves the final classifier"));
  REQUIRE_THAT(with({{"bits", 3}}), Catch::Contains("edge-cloud: bits = 3 must be 1, 2 or 4"));
  REQUIRE_THAT(with({{"M", 3}}), Catch::Contains("edge_layers: 3 does not end a block of resnet8"));
  REQUIRE_THAT(with({{"M", "half"}}), Catch::Contains("M = \"half\" must be a layer count or \"auto\""));
  REQUIRE_THAT(with({{"thresholds", "a:b"}}),
               Catch::Contains("edge-cloud: thresholds: expected FROM:TO:STEP or a comma list, got 'a:b'"));
  REQUIRE_THAT(with({{"thresholds", {0.5, -1}}}), Catch::Contains("thresholds: -1 is not an entropy >= 0"));
  REQUIRE_THAT(with({{"thresholds", 0.5}}),
               Catch::Contains("families.edge-cloud.thresholds: expected a string or an array"));
  REQUIRE_THAT(with({{"exits", 3}}), Catch::Contains("3 exits do not fit in 4 edge layers"));
  REQUIRE_THAT(with({{"exits", {json{3}}}}),
               Catch::Contains("exit after 3 body layers: not at the end of a block"));
  REQUIRE_THAT(with({{"exits", {"two"}}}),
               Catch::Contains("families.edge-cloud.exits[0]: expected an integer or a non-empty "
                               "array of integers"));
}

TEST_CASE("space: analysis families add their baseline, then plans from its profile",
          "[search]") {
  json j = base_space();
  j["families"] = {{"fp", json::object()},
                   {"pca", {{"T", 0.99}, {"delta", {1, 100}}, {"kb", 2}, {"shortcut", 2}}},
                   {"partition", {{"R", 0.5}, {"gamma", 0}}}};
  const auto s = parse_space(j, "space.json");
  REQUIRE(s.needs_profile());
  const auto c = plain_candidates(s);
  REQUIRE(c.size() == 2);  // the XNOR baseline and fp
  REQUIRE(c[0].priority == kBaselinePriority);
  REQUIRE(c[0].family == "xnor");

  // A hand-made profile of resnet8's 7 main-path layers: k jumps at positions 4 and 6; the
  // input error is largest at positions 2 and 3.
  analysis::Profile p;
  p.arch = "resnet8";
  p.plan = c[0].plan;
  const auto arch = p.plan.describe();
  const auto layers = analysis::profiled_layers(arch);
  REQUIRE(layers.size() == 7);
  const std::vector<int> ks = {4, 5, 5, 12, 12, 30, 30};
  const std::vector<double> errors = {0.1, 0.9, 0.8, 0.1, 0.1, 0.1, 0.1};
  for (size_t i = 0; i < layers.size(); ++i) {
    analysis::LayerProfile l;
    l.position = static_cast<int>(i + 1);
    l.layer = layers[i];
    l.name = arch.layers[layers[i]].name;
    l.out_channels = arch.layers[layers[i]].out_channels;
    // A cumulative curve that reaches 0.99 exactly at component ks[i].
    l.explained_variance.assign(l.out_channels, 1.0);
    for (int k = 0; k + 1 < ks[i]; ++k) l.explained_variance[k] = 0.5;
    l.error = errors[i];
    l.flops = 1e6;
    l.eligible = i > 0;
    p.layers.push_back(l);
  }
  p = analysis::retune(p, 0.99, 0.0);
  REQUIRE(p.layers[3].delta_k == 7);
  std::vector<std::string> skipped;
  const auto a = analysis_candidates(s, c[0], p, &skipped);
  // pca delta=1 -> positions 2, 4, 6 (dk 1 is not > 1... 5-4 = 1, so 4 and 6); delta=100 -> none,
  // which is the baseline's own plan, still a candidate (it dedups with the baseline).
  REQUIRE(a.size() == 3);
  REQUIRE(a[0].family == "partition");
  const auto& pca1 = a[1];
  REQUIRE(pca1.params["delta"] == 1);
  REQUIRE(pca1.plan.precision(p.layers[3].name).weight_bits == 2);
  REQUIRE(pca1.plan.precision(p.layers[5].name).weight_bits == 2);
  REQUIRE(pca1.plan.precision(p.layers[1].name).weight_bits == 1);
  REQUIRE(a[2].key() == c[0].key());  // delta=100 upgrades nothing: the baseline network
  // partition, gamma 0: the high-error layers 2 and 3 get FP inputs, binary weights.
  REQUIRE(a[0].plan.precision(p.layers[1].name).input_bits == 32);
  REQUIRE(a[0].plan.precision(p.layers[1].name).weight_bits == 1);
  REQUIRE(a[0].plan.precision(p.layers[3].name).input_bits == 1);
  for (const auto& x : a) CHECK(x.config.init_key.empty());

  SECTION("pca's default wiring is the paper's Hybrid-Net: a shortcut around every conv") {
    j["families"]["pca"].erase("shortcut");
    const auto every1 = analysis_candidates(parse_space(j, "space.json"), c[0], p);
    REQUIRE(every1.size() == 3);
    const auto& plan = every1[1].plan;
    CHECK(every1[1].params["shortcut"] == 1);
    CHECK(plan.shortcut.every == 1);
    // The same main-path convs (profile positions 4 and 6 count the stem: body convs 3 and 5)
    // are 2-bit, under their names in this wiring.
    std::vector<int> kbit;
    const auto wired = plan.describe();
    int position = 0;
    for (const auto& l : wired.layers)
      if (l.role == models::LayerRole::kBody) {
        ++position;
        if (plan.layers[l.index].precision.weight_bits == 2) kbit.push_back(position);
      }
    CHECK(kbit == std::vector<int>{3, 5});
    // delta=100 upgrades nothing: the XNOR network with the paper's shortcuts, not the baseline.
    CHECK(every1[2].plan == models::make_preset("binary-shortcut-1", "resnet8"));
  }

  SECTION("\"init\": \"baseline\" starts them from the baseline: another network identity") {
    j["init"] = "baseline";
    const auto warm = parse_space(j, "space.json");
    const auto b = analysis_candidates(warm, plain_candidates(warm)[0], p);
    REQUIRE(b.size() == a.size());
    for (size_t i = 0; i < b.size(); ++i) {
      CHECK(b[i].config.init_key == c[0].key());
      CHECK(b[i].key() != a[i].key());
      CHECK(json(b[i].config)["init"] == json({{"from", "baseline"}, {"key", c[0].key()}}));
    }
    // The plain families still start from scratch.
    for (const auto& x : plain_candidates(warm)) CHECK(x.config.init_key.empty());
  }
}

TEST_CASE("space: validation errors name the file and the JSON path", "[search]") {
  json j = base_space();
  j["families"]["hybrid-x"] = json::object();
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: families.hybrid-x: unknown family"));

  j = base_space();
  j["families"]["pca"] = {{"Delta", 1}};
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: families.pca.Delta: unknown parameter") &&
                                Catch::Contains("pca takes T, delta, kb"));

  j = base_space();
  j["families"]["pca"] = {{"delta", {1, "two"}}};
  REQUIRE_THAT(error_of(j),
               Catch::Contains("space.json: families.pca.delta[1]: expected a number"));

  j = base_space();
  j["families"]["quantized-k"] = {{"k", json::array()}};
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: families.quantized-k.k: empty grid"));

  j = base_space();
  j["families"]["quantized-k"] = {{"k", 2.5}};
  REQUIRE_THAT(error_of(j), Catch::Contains("families.quantized-k.k: expected an integer"));

  j = base_space();
  j["arch"] = "vgg11";
  j["families"]["hybrid-res-a"] = json::object();
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: families.hybrid-res-a") &&
                                Catch::Contains("does not apply to vgg11"));

  j = base_space();
  j["train"]["epochs"] = "three";
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: train.epochs: expected an integer"));

  // Values out of range fail the space before anything is stored (issue 14).
  for (const auto& [key, value, message] :
       std::vector<std::tuple<std::string, json, std::string>>{
           {"subset", -5, "space.json: data.subset must be in [0, 2147483648], not -5"},
           {"test_subset", -1, "space.json: data.test_subset must be in"},
           {"val_fraction", 2, "space.json: data.val_fraction must be in [0, 1), not 2"},
           {"synthetic_size", 100000, "space.json: data.synthetic_size must be in [4, 512]"},
           {"synthetic_train", 1000000, "would need more than 8 GB"}}) {
    j = base_space();
    j["data"][key] = value;
    if (key == "synthetic_train") j["data"]["synthetic_size"] = 512;
    CHECK_THAT(error_of(j), Catch::Contains(message));
  }

  j = base_space();
  j["data"]["subsett"] = 10;
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: data.subsett: unknown key"));

  // The folder dataset's keys: known, of the right kind, for that dataset only.
  j = base_space();
  j["data"]["input"] = {224, 224};
  CHECK_THAT(error_of(j), Catch::Contains("data.input, channels, mean and std apply to the folder dataset only"));
  j["data"] = {{"name", "folder"}, {"input", {32, 32}}, {"channels", 1}};
  CHECK_THAT(error_of(j), Catch::Contains("data.dir: the folder dataset needs its directory"));
  j["data"]["input"] = "224x224";
  CHECK_THAT(error_of(j), Catch::Contains("space.json: data.input: expected an array"));
  j["data"]["input"] = {"a", "b"};
  CHECK_THAT(error_of(j), Catch::Contains("space.json: data: input: [\"a\",\"b\"] is not array"));
  j["data"]["input"] = {224};
  j["data"]["dir"] = "somewhere";
  CHECK_THAT(error_of(j), Catch::Contains("data.input must be [height, width]"));
  j["data"]["input"] = {224, 224};
  j["data"]["mean"] = {0.5, 0.5};
  j["data"]["std"] = {0.5, 0.5};
  CHECK_THAT(error_of(j), Catch::Contains("one value per channel (1)"));

  // A folder's classes are read once, into the space's data: trials carry them, and queries
  // of the study do not need the folder.
  {
    const auto root = hybridnet::test::fresh_temp_dir("space_folder");
    for (const char* c : {"wasp", "ant"}) std::filesystem::create_directories(root / "train" / c);
    j = base_space();
    j["data"] = {{"name", "folder"}, {"dir", root.string()}, {"input", {32, 32}}};
    const auto parsed = parse_space(j, "space.json");
    CHECK(parsed.data.classes == std::vector<std::string>{"ant", "wasp"});
    CHECK(models::data_shape(parsed.data).num_classes == 2);
    std::filesystem::remove_all(root);
    CHECK(models::data_shape(parsed.data).num_classes == 2);
  }

  j = base_space();
  j["familes"] = json::object();
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: familes: unknown key"));

  j = base_space();
  j["families"] = json::object();
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: families: a non-empty object"));

  j = base_space();
  j["objectives"] = {"accuracy:max", "speed:max"};
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: objectives[1]: unknown objective"));

  j = base_space();
  j["families"]["pca"] = {{"T", 1.5}};
  REQUIRE_THAT(error_of(j), Catch::Contains("families.pca") && Catch::Contains("T = 1.5"));

  j = base_space();
  j["init"] = "checkpoint";
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: init: expected \"scratch\" or "
                                            "\"baseline\", got \"checkpoint\""));

  j = base_space();
  j["init"] = "baseline";  // fp and xnor only: nothing to start from a baseline
  REQUIRE_THAT(error_of(j),
               Catch::Contains("space.json: init:") && Catch::Contains("this space has none"));

  j = base_space();
  j["train"]["kbit_input_grad"] = "straight";
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: train: kbit_input_grad must be one of "
                                            "clipped, identity, not 'straight'"));

  j = base_space();
  j["train"]["optimizer"] = "adamw";  // never read as the first name (sgd)
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: train: optimizer must be one of sgd, "
                                            "adam, not 'adamw'"));

  j = base_space();
  j["train"]["kbit_weight_scale"] = 2;
  REQUIRE_THAT(error_of(j),
               Catch::Contains("space.json: train.kbit_weight_scale: expected a string"));

  j = base_space();
  j.erase("study");
  REQUIRE_THAT(error_of(j), Catch::Contains("space.json: study: a non-empty string"));
}

TEST_CASE("space: candidate keys are those earlier versions stored, so their studies resume",
          "[search]") {
  // Pinned values: a change here makes every stored study retrain from scratch.
  json j = base_space();
  j["families"] = {{"fp", json::object()},
                   {"edge-cloud", {{"bits", 2}, {"mode", "separate"}, {"thresholds", "0.5"}}}};
  const auto c = plain_candidates(parse_space(j, "space.json"));
  REQUIRE(c.size() == 2);
  Candidate warm = c[0];
  warm.config.init_key = "0123456789abcdef";
  CHECK(c[0].key() == "add2d6731b89f51f");
  CHECK(c[1].key() == "9eeec0f348ce4b1e");
  CHECK(warm.key() == "6ecc3b8e28416246");
  // A setting added later changes the key only when it is not the value in force before it.
  Candidate gain = c[0];
  gain.config.train.kbit_input_gain = 1.5;
  CHECK(gain.key() != c[0].key());
}

TEST_CASE("space: the search strategy, grid by default, successive halving on validation",
          "[search][space]") {
  json j = base_space();
  auto s = parse_space(j, "space.json");
  CHECK_FALSE(s.search.multi_fidelity());
  CHECK(s.data.val_fraction == 0);

  j["train"]["epochs"] = 9;
  j["search"] = {{"strategy", "successive-halving"}};
  s = parse_space(j, "space.json");
  CHECK(s.search.multi_fidelity());
  CHECK(s.search.rungs == std::vector<int>{1, 3, 9});  // eta-spaced, ending at the budget
  CHECK(s.search.eta == 3);
  CHECK(s.search.promotion == PromotionRule::kHypervolume);
  CHECK(s.data.val_fraction == Approx(0.1));  // chooses on validation by default
  CHECK(s.search.assignment_epochs(0) == 1);
  CHECK(s.search.assignment_epochs(1) == 3);
  CHECK(s.search.assignment_epochs(2) == 0);  // the last rung: the full budget

  j["train"]["epochs"] = 12;
  j["search"] = {{"strategy", "successive-halving"}, {"eta", 2}, {"promotion", "crowding"}};
  j["data"]["val_fraction"] = 0.2;
  s = parse_space(j, "space.json");
  CHECK(s.search.rungs == std::vector<int>{1, 3, 6, 12});
  CHECK(s.search.promotion == PromotionRule::kCrowding);
  CHECK(s.data.val_fraction == Approx(0.2));

  j = base_space();
  j["train"]["epochs"] = 9;
  for (const auto& [search, message] : std::vector<std::pair<json, std::string>>{
           {{{"strategy", "hyperband"}},
            "space.json: search.strategy: expected \"grid\" or \"successive-halving\""},
           {{{"strategy", "grid"}, {"eta", 3}},
            "space.json: search.eta: only for \"strategy\": \"successive-halving\""},
           {{{"strategy", "successive-halving"}, {"rungs", {1, 3, 8}}},
            "space.json: search.rungs: the last rung is the full budget, train.epochs = 9, "
            "not 8"},
           {{{"strategy", "successive-halving"}, {"rungs", {3, 3, 9}}},
            "space.json: search.rungs[1]: expected epoch counts that rise"},
           {{{"strategy", "successive-halving"}, {"rungs", {9}}},
            "space.json: search.rungs: expected at least two epoch counts"},
           {{{"strategy", "successive-halving"}, {"eta", 1}},
            "space.json: search.eta: expected an integer in [2, 100], got 1"},
           {{{"strategy", "successive-halving"}, {"promotion", "best"}},
            "space.json: search.promotion: expected \"hypervolume\" or \"crowding\""},
           {{{"strategy", "successive-halving"}, {"budget", 3}},
            "space.json: search.budget: unknown key"}}) {
    j["search"] = search;
    CHECK_THAT(error_of(j), Catch::Contains(message));
  }
  j["search"] = {{"strategy", "successive-halving"}};
  j["data"]["val_fraction"] = 0;
  CHECK_THAT(error_of(j), Catch::Contains("space.json: data.val_fraction: successive halving "
                                          "promotes on a validation split"));
  j = base_space();  // one epoch: nothing to halve
  j["search"] = {{"strategy", "successive-halving"}};
  CHECK_THAT(error_of(j), Catch::Contains("leave a single rung"));
}
