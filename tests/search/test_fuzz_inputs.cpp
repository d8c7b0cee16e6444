// A mutation fuzzer over the files a user writes: search spaces and plans. Each case mutates a
// valid file (a value replaced by a hostile one, a key dropped or added, the text cut short or
// corrupted) and reads it as `space` and `arch --plan` do: it must be accepted or refused with
// a hybridnet error (one line once printed), never a crash, a hang or a library exception.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <cstdio>
#include <cstdlib>

#include "models/cost_model.h"
#include "models/energy_table.h"
#include "models/error.h"
#include "models/hybrid_plan.h"
#include "models/json_input.h"
#include "search/candidates.h"
#include "search/space.h"
#include "tests/support.h"

using namespace hybridnet;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json nested(int depth) {
  json j = 1;
  for (int i = 0; i < depth; ++i) j = json::array({j});
  return j;
}

json hostile_value(std::mt19937_64& rng) {
  const std::vector<json> values = {
      -1, 0, 1, 2, 3, 4294967297LL, -4294967295LL, 1e308, -1e308, 1e-320, 0.5, 100000,
      std::numeric_limits<int64_t>::max(), "", std::string(5000, 'x'), "../../escaped",
      "/dev/zero", std::string("a\x01\x1b[31mb"), "nan", "inf", "resnet600002", "resnet99999999999",
      "fp", "xnor", "sgd", nullptr, true, json::array(), json::object(), json::array({1, 2, 3}),
      json::array({-1, 0}), json::object({{"x", 1}}), nested(60), json::array({"a", 1, nullptr})};
  return values[rng() % values.size()];
}

// Every node of `j` (pointers), so that one can be picked at random.
void collect(json& j, std::vector<json*>& out) {
  out.push_back(&j);
  if (j.is_structured())
    for (auto& child : j) collect(child, out);
}

// One structural mutation somewhere in `j`.
void mutate(json& j, std::mt19937_64& rng) {
  std::vector<json*> nodes;
  collect(j, nodes);
  json& node = *nodes[rng() % nodes.size()];
  switch (rng() % 5) {
    case 0:
      node = hostile_value(rng);
      break;
    case 1:  // drop a key
      if (node.is_object() && !node.empty()) {
        auto it = node.begin();
        std::advance(it, rng() % node.size());
        node.erase(it);
      }
      break;
    case 2:  // an unknown key
      if (node.is_object()) node["unknown_" + std::to_string(rng() % 3)] = hostile_value(rng);
      break;
    case 3:  // a grid where a scalar was, or the other way round
      node = node.is_array() ? (node.empty() ? json(nullptr) : node.front())
                             : json::array({node, hostile_value(rng)});
      break;
    default:  // a number as text
      if (node.is_number()) node = node.dump();
      break;
  }
}

// The JSON text, sometimes damaged as text: cut short, a byte changed, a key duplicated.
std::string damage(std::string text, std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0:
      return text.substr(0, rng() % (text.size() + 1));
    case 1:
      text[rng() % text.size()] = static_cast<char>(rng() % 256);
      return text;
    case 2: {
      const auto brace = text.find('{');
      return brace == std::string::npos ? text : text.insert(brace + 1, "\"study\": \"dup\", ");
    }
    default:
      return text;
  }
}


// Runs `read` on `cases` mutants of `seed`; returns how many were accepted. Fails on any
// exception that is not a hybridnet error, and on a case slower than a few seconds.
template <class Read>
int fuzz(const json& seed, int cases, uint64_t rng_seed, const fs::path& file, Read read) {
  std::mt19937_64 rng(rng_seed);
  int accepted = 0;
  for (int i = 0; i < cases; ++i) {
    json j = seed;
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m) mutate(j, rng);
    const std::string text = damage(j.dump(), rng);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    INFO("case " << i << ": " << text.substr(0, 600));
    const auto t0 = std::chrono::steady_clock::now();
    try {
      read(file.string());
      ++accepted;
    } catch (const Error& e) {
      CHECK(std::string(e.what()).size() > 0);
      CHECK(std::string(e.what()).find("[json.exception") == std::string::npos);
      if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "%.150s\n", e.what());
    } catch (const std::exception& e) {
      FAIL("not a hybridnet error: " << e.what());
    }
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 5.0);
  }
  return accepted;
}

}  // namespace

TEST_CASE("fuzz: 300 mutated search spaces are accepted or refused with a hybridnet error",
          "[search][fuzz]") {
  const json seed = models::read_json_file(std::string(HYBRIDNET_SOURCE_DIR) +
                                           "/examples/quickstart.json");
  const fs::path dir = test::fresh_temp_dir("fuzz");
  const int accepted = fuzz(seed, 300, 20261128, dir / "space.json", [](const std::string& p) {
    const auto space = search::load_space(p);
    search::plain_candidates(space);
  });
  // Some mutants are harmless (an unknown key in "comment", a changed seed): the fuzzer must
  // exercise both paths.
  CHECK(accepted > 0);
  CHECK(accepted < 300);
  fs::remove_all(dir);
}

TEST_CASE("fuzz: 300 mutated plans are accepted or refused with a hybridnet error",
          "[search][fuzz]") {
  const json seed =
      models::xnor_plan("resnet8", 1.0, models::ShortcutPolicy{}).to_json();
  const fs::path dir = test::fresh_temp_dir("fuzz");
  const auto table = models::load_energy_table(models::kDefaultEnergyTable);
  const int accepted = fuzz(seed, 300, 42, dir / "plan.json", [&](const std::string& p) {
    const auto plan = models::load_plan_file(p);
    models::plan_cost(plan, 3, 32, 32, 10, table);
  });
  CHECK(accepted > 0);
  CHECK(accepted < 300);
  fs::remove_all(dir);
}
