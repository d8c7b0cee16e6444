// The family registry: one spelling per family (earlier ones still read), each family's defaults
// valid, plain families equal to their presets, analysis families checked without a profile, and
// the store reading old spellings as the registry does.
#include <catch2/catch.hpp>
#include <set>

#include "db/store.h"
#include "models/error.h"
#include "models/presets.h"
#include "search/family_registry.h"
#include "search/space.h"

using namespace hybridnet;
using namespace hybridnet::search;
using nlohmann::json;

namespace {

json defaults(const Family& f) {
  json s = json::object();
  for (const auto& p : f.params()) s[p.name] = p.default_value;
  return s;
}

}  // namespace

TEST_CASE("families: every name and earlier spelling finds one family", "[search][families]") {
  std::set<std::string> seen;
  for (const Family* f : families()) {
    REQUIRE(find_family(f->name()) == f);
    REQUIRE(seen.insert(f->name()).second);
    for (const auto& old : f->old_names()) {
      REQUIRE(find_family(old) == f);
      REQUIRE(seen.insert(old).second);
      // Stores read the same old spellings as space files.
      CHECK(db::current_family_name(old) == f->name());
    }
    CHECK(db::current_family_name(f->name()) == f->name());
  }
  CHECK(find_family("edge_cloud")->name() == "edge-cloud");
  CHECK(find_family("nope") == nullptr);
  CHECK_THROWS_WITH(family_named("nope"), Catch::Contains("unknown family 'nope'") &&
                                              Catch::Contains("edge-cloud"));
}

TEST_CASE("families: defaults are valid, plain families plan, analysis families select",
          "[search][families]") {
  for (const Family* f : families()) {
    INFO(f->name());
    const json s = defaults(*f);
    REQUIRE_NOTHROW(f->check(s));
    CHECK(f->exit_training(s).has_value() == (f->name() == "edge-cloud"));
    CHECK(f->thresholds(s).empty() == (f->name() != "edge-cloud"));
    if (f->needs_profile()) {
      CHECK_THROWS_AS(f->plan(s, "resnet20", 1.0), std::logic_error);
    } else {
      const std::string arch = f->name() == "hybrid-vgg-a" ? "vgg11" : "resnet20";
      CHECK(f->plan(s, arch, 1.0).arch == arch);
      CHECK_THROWS_AS(f->select(s, analysis::Profile{}, 0), std::logic_error);
    }
  }
}

TEST_CASE("families: a preset family's plan is its preset's with the same values",
          "[search][families]") {
  const json comp = {{"k", 4}, {"kb", 3}};
  CHECK(family_named("hybrid-comp-a").plan(comp, "resnet20", 1.5) ==
        models::make_preset("hybrid-comp-a:k=4,kb=3,width=1.5", "resnet20"));
  CHECK(family_named("inter-layer").plan({{"k", 2}}, "resnet14", 1.0) ==
        models::make_preset("hybrid-res-b:k=2", "resnet14"));
  CHECK(family_named("intra-layer").plan({{"p", 0.25}}, "vgg11", 1.0) ==
        models::make_preset("hybrid-vgg-b:p=0.25", "vgg11"));
  // inflate's width is its own parameter, not the space's.
  CHECK(family_named("inflate").plan({{"width", 3.0}}, "resnet8", 1.0).width == 3.0);
  CHECK_THROWS_WITH(family_named("inter-layer").plan({{"k", 2}}, "vgg11", 1.0),
                    Catch::Contains("does not apply to vgg11"));
}

TEST_CASE("families: analysis settings are checked without a profile", "[search][families]") {
  CHECK_THROWS_WITH(family_named("pca").check({{"T", 0}, {"delta", 1}, {"kb", 2}}),
                    Catch::Contains("pca: T = 0 must be in (0, 1]"));
  CHECK_THROWS_WITH(family_named("partition").check({{"R", 1.5}, {"gamma", "auto"}}),
                    Catch::Contains("partition: R = 1.5"));
  CHECK_NOTHROW(family_named("combined").check({{"R", 0.2}, {"kb", 32}}));
  CHECK_THROWS_WITH(family_named("combined").check({{"R", 0.2}, {"kb", 9}}),
                    Catch::Contains("combined: kb = 9"));
}

TEST_CASE("families: a space file's old spelling reads as today's, both at once is an error",
          "[search][families]") {
  json j = json::parse(R"({"study": "t", "arch": "resnet8", "data": {"name": "synthetic"},
                           "families": {"edge_cloud": {"bits": 2, "thresholds": [0.5]}}})");
  const SearchSpace s = parse_space(j, "space.json");
  REQUIRE(s.families.size() == 1);
  CHECK(s.families[0].family == "edge-cloud");
  j["families"]["edge-cloud"] = json::object();
  CHECK_THROWS_WITH(parse_space(j, "space.json"), Catch::Contains("edge-cloud is given twice"));
}
