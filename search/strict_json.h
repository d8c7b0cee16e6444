// Strict reading of user-written JSON into plain structs: the struct's default JSON (from
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT) lists every key and its kind, so an unknown key
// or a value of another kind is an error that names the file and the JSON path.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "models/data_options.h"
#include "models/error.h"

namespace hybridnet::search {

/// "a number", "an integer", "a string", ... for error messages.
std::string json_kind(const nlohmann::json& example);
/// Whether `value` may stand where `example` does: any number for a float, an integer for an
/// integer (non-negative for an unsigned one), the same type otherwise.
bool same_kind(const nlohmann::json& example, const nlohmann::json& value);

/// Every key T may have in JSON, at its default: T's default JSON, unless T writes some keys
/// only when they apply.
template <class T>
nlohmann::json strict_keys() {
  return T{};
}
template <>
inline nlohmann::json strict_keys<models::DataOptions>() {
  return models::data_option_keys();
}

/// `j` read into T; errors read "<where>: <path>.<key>: ...".
template <class T>
T strict_from_json(const nlohmann::json& j, const std::string& where, const std::string& path) {
  if (!j.is_object()) throw ConfigError(where + ": " + path + ": expected an object");
  const nlohmann::json defaults = strict_keys<T>();
  for (const auto& [key, value] : j.items()) {
    const auto it = defaults.find(key);
    if (it == defaults.end()) {
      std::string known;
      for (const auto& [k, v] : defaults.items()) known += (known.empty() ? "" : ", ") + k;
      throw ConfigError(where + ": " + path + "." + key + ": unknown key (known: " + known + ")");
    }
    if (!same_kind(*it, value))
      throw ConfigError(where + ": " + path + "." + key + ": expected " + json_kind(*it) +
                        ", got " + value.dump());
  }
  try {
    return j.get<T>();
  } catch (const ConfigError& e) {  // a value of the right kind but not allowed (an enum's name)
    throw ConfigError(where + ": " + path + ": " + e.what());
  }
}

}  // namespace hybridnet::search
