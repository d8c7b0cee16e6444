#include "search/search_strategy.h"

#include <nlohmann/json.hpp>

#include "models/error.h"

namespace hybridnet::search {

using nlohmann::json;

int SearchStrategy::assignment_epochs(int rung) const {
  if (!multi_fidelity() || rung >= last_rung()) return 0;
  return rungs.at(static_cast<size_t>(rung));
}

namespace {

// eta-spaced rungs ending at the budget: epochs / eta^k down to one epoch.
std::vector<int> default_rungs(int epochs, int eta) {
  std::vector<int> down = {epochs};
  while (down.back() / eta >= 1) down.push_back(down.back() / eta);
  return {down.rbegin(), down.rend()};
}

}  // namespace

SearchStrategy parse_search_strategy(const json& j, int epochs, const std::string& where) {
  const std::string at = where + ": search";
  if (!j.is_object()) throw ConfigError(at + ": expected an object like {\"strategy\": \"grid\"}");
  for (const auto& [key, v] : j.items())
    if (key != "strategy" && key != "rungs" && key != "eta" && key != "promotion")
      throw ConfigError(at + "." + key + ": unknown key (known: strategy, rungs, eta, promotion)");
  SearchStrategy s;
  const json strategy = j.value("strategy", json("grid"));
  if (strategy == "grid") {
    for (const char* key : {"rungs", "eta", "promotion"})
      if (j.contains(key))
        throw ConfigError(at + "." + key + ": only for \"strategy\": \"successive-halving\"");
    return s;
  }
  if (strategy != "successive-halving")
    throw ConfigError(at + ".strategy: expected \"grid\" or \"successive-halving\", got " +
                      strategy.dump());
  s.strategy = Strategy::kSuccessiveHalving;
  if (j.contains("eta")) {
    if (!j.at("eta").is_number_integer() || j.at("eta").get<int64_t>() < 2 ||
        j.at("eta").get<int64_t>() > 100)
      throw ConfigError(at + ".eta: expected an integer in [2, 100], got " + j.at("eta").dump());
    s.eta = j.at("eta").get<int>();
  }
  if (j.contains("promotion")) {
    const json& p = j.at("promotion");
    if (p == "hypervolume")
      s.promotion = PromotionRule::kHypervolume;
    else if (p == "crowding")
      s.promotion = PromotionRule::kCrowding;
    else
      throw ConfigError(
          at + ".promotion: expected \"hypervolume\" or \"crowding\" (MO-ASHA), got " + p.dump());
  }
  if (!j.contains("rungs")) {
    s.rungs = default_rungs(epochs, s.eta);
  } else {
    const json& r = j.at("rungs");
    if (!r.is_array() || r.size() < 2)
      throw ConfigError(at + ".rungs: expected at least two epoch counts, like [1, 3, 9]");
    for (size_t i = 0; i < r.size(); ++i) {
      if (!r[i].is_number_integer() || r[i].get<int64_t>() < 1 ||
          (i > 0 && r[i].get<int64_t>() <= r[i - 1].get<int64_t>()))
        throw ConfigError(at + ".rungs[" + std::to_string(i) +
                          "]: expected epoch counts that rise from 1 or more, got " + r.dump());
      s.rungs.push_back(r[i].get<int>());
    }
  }
  if (s.rungs.back() != epochs)
    throw ConfigError(at + ".rungs: the last rung is the full budget, train.epochs = " +
                      std::to_string(epochs) + ", not " + std::to_string(s.rungs.back()));
  if (s.rungs.size() < 2)
    throw ConfigError(at + ": " + std::to_string(epochs) + " epoch(s) with eta " +
                      std::to_string(s.eta) +
                      " leave a single rung; give more train.epochs or \"rungs\"");
  return s;
}

json to_json(const SearchStrategy& s) {
  if (!s.multi_fidelity()) return {{"strategy", "grid"}};
  return {{"strategy", "successive-halving"},
          {"rungs", s.rungs},
          {"eta", s.eta},
          {"promotion", s.promotion == PromotionRule::kHypervolume ? "hypervolume" : "crowding"}};
}

}  // namespace hybridnet::search
