#include "analysis/profile_io.h"

#include "models/error.h"

namespace hybridnet::analysis {

using nlohmann::json;

json profile_to_json(const Profile& p) {
  json layers = json::array();
  for (const auto& l : p.layers)
    layers.push_back({{"position", l.position},
                      {"layer", l.layer},
                      {"name", l.name},
                      {"out_channels", l.out_channels},
                      {"k", l.k},
                      {"delta_k", l.delta_k},
                      {"explained_variance", l.explained_variance},
                      {"error", l.error},
                      {"error_scaled", l.error_scaled},
                      {"flops", l.flops},
                      {"metric", l.metric},
                      {"eligible", l.eligible}});
  return {{"arch", p.arch},       {"plan", p.plan.to_json()},
          {"threshold", p.threshold}, {"gamma", p.gamma},
          {"plain", p.plain},     {"scaled_error", p.scaled_error},
          {"samples", p.samples}, {"layers", layers}};
}

Profile profile_from_json(const json& j, const std::string& where) {
  try {
    Profile p;
    p.arch = j.at("arch").get<std::string>();
    p.plan = models::HybridPlan::from_json(j.at("plan"), where);
    p.threshold = j.at("threshold").get<double>();
    p.gamma = j.at("gamma").get<double>();
    p.plain = j.at("plain").get<bool>();
    p.scaled_error = j.at("scaled_error").get<bool>();
    p.samples = j.at("samples").get<int64_t>();
    for (const auto& e : j.at("layers")) {
      LayerProfile l;
      l.position = e.at("position").get<int>();
      l.layer = e.at("layer").get<int>();
      l.name = e.at("name").get<std::string>();
      l.out_channels = e.at("out_channels").get<int>();
      l.k = e.at("k").get<int>();
      l.delta_k = e.at("delta_k").get<int>();
      l.explained_variance = e.at("explained_variance").get<std::vector<double>>();
      l.error = e.at("error").get<double>();
      l.error_scaled = e.at("error_scaled").get<double>();
      l.flops = e.at("flops").get<double>();
      l.metric = e.at("metric").get<double>();
      l.eligible = e.at("eligible").get<bool>();
      p.layers.push_back(std::move(l));
    }
    return p;
  } catch (const json::exception& e) {
    throw DataError(where + ": not a profile: " + e.what());
  }
}

}  // namespace hybridnet::analysis
