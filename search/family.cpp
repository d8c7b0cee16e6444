#include "search/family.h"

#include <sstream>
#include <stdexcept>

#include "models/error.h"

namespace hybridnet::search {

using nlohmann::json;

void Family::check(const json&) const {}

models::HybridPlan Family::plan(const json&, const std::string&, double) const {
  throw std::logic_error("Family::plan(): " + name() + " plans from a baseline's profile");
}

analysis::Selection Family::select(const json&, const analysis::Profile&, uint64_t) const {
  throw std::logic_error("Family::select(): " + name() + " is not an analysis family");
}

std::optional<models::ExitTraining> Family::exit_training(const json&) const {
  return std::nullopt;
}

std::vector<double> Family::thresholds(const json&) const { return {}; }

int Family::generations(const json&) const { return 1; }

std::vector<json> Family::breed(const json& setting, const analysis::Profile&, uint64_t,
                                int generation, const std::vector<std::pair<json, std::vector<double>>>&,
                                const std::vector<Objective>&) const {
  if (generation == 0) return {setting};
  return {};
}

double number_param(const json& setting, const std::string& key) {
  return setting.at(key).get<double>();
}

void check_param_range(const std::string& family, const std::string& key, double v, double lo,
                       double hi, bool lo_open) {
  if (v > hi || v < lo || (lo_open && v == lo)) {
    std::ostringstream o;
    o << family << ": " << key << " = " << v << " must be in " << (lo_open ? "(" : "[") << lo
      << ", " << hi << "]";
    throw ConfigError(o.str());
  }
}

}  // namespace hybridnet::search
