// Enums named in JSON and on the command line by one table of names per enum. Like
// NLOHMANN_JSON_SERIALIZE_ENUM, but an unknown name is a ConfigError that lists the allowed ones,
// where nlohmann's macro silently reads it as the first value (a typo "adamw" would train SGD).
//
//   enum class Optimizer { kSgd, kAdam };
//   HYBRIDNET_JSON_ENUM(Optimizer, "optimizer",
//                       {{Optimizer::kSgd, "sgd"}, {Optimizer::kAdam, "adam"}})
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "models/error.h"

namespace hybridnet::models {

/// The enum's names joined by ", " (for errors and --help).
template <class E>
std::string enum_choices() {
  std::string out;
  for (const auto& [value, name] : enum_names(E{})) out += (out.empty() ? "" : ", ") + name;
  return out;
}

/// The value named `name`; ConfigError "<what> must be one of a, b, not 'x'" otherwise.
template <class E>
E enum_from_string(const std::string& name, const std::string& what) {
  for (const auto& [value, n] : enum_names(E{}))
    if (n == name) return value;
  throw ConfigError(what + " must be one of " + enum_choices<E>() + ", not '" + name + "'");
}

/// Name -> value, for CLI11's CheckedTransformer.
template <class E>
std::map<std::string, E> enum_map() {
  std::map<std::string, E> out;
  for (const auto& [value, name] : enum_names(E{})) out.emplace(name, value);
  return out;
}

}  // namespace hybridnet::models

/// `what` names the setting in errors. Declares, in the enum's namespace: enum_names(E), to_string(E), to_json and from_json.
#define HYBRIDNET_JSON_ENUM(E, what, ...)                                                         \
  inline const std::vector<std::pair<E, std::string>>& enum_names(E) {                        \
    static const std::vector<std::pair<E, std::string>> names = __VA_ARGS__;                  \
    return names;                                                                             \
  }                                                                                           \
  inline std::string to_string(E e) {                                                         \
    for (const auto& [value, name] : enum_names(E{}))                                         \
      if (value == e) return name;                                                            \
    return "?";                                                                               \
  }                                                                                           \
  inline void to_json(nlohmann::json& j, E e) { j = to_string(e); }                           \
  inline void from_json(const nlohmann::json& j, E& e) {                                      \
    if (!j.is_string())                                                                       \
      throw ::hybridnet::ConfigError(std::string(what) + " must be a string (" +                             \
                                     ::hybridnet::models::enum_choices<E>() + "), not " +      \
                                     j.dump());                                               \
    e = ::hybridnet::models::enum_from_string<E>(j.get<std::string>(), what);                  \
  }
